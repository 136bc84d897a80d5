using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// At server start (after migrations): reads the key ring once, so that a database encrypted under another
/// master key stops the server with a configuration error instead of failing sign-ins one by one; then
/// re-encrypts, under the current master key, every key still under a previous master key or still in plaintext.
/// </summary>
internal sealed class KeyRingStartup(IOptions<KeyManagementOptions> keyManagement, KeyRingRewrapper rewrapper) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = keyManagement.Value.XmlRepository?.GetAllElements();
        }
        catch (UnknownMasterKeyException e)
        {
            throw new OptionsValidationException(MasterKeyRingProvider.SectionName, typeof(MasterKeyRingProvider), [e.Message]);
        }

        await rewrapper.RewrapAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
