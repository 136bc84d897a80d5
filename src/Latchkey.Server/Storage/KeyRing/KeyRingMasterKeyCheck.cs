using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// At server start (after migrations), reads the key ring once so that a database encrypted under another
/// master key stops the server with a configuration error instead of failing sign-ins one by one.
/// </summary>
internal sealed class KeyRingMasterKeyCheck(IOptions<KeyManagementOptions> keyManagement) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = keyManagement.Value.XmlRepository?.GetAllElements();
        }
        catch (UnknownMasterKeyException e)
        {
            throw new OptionsValidationException(MasterKeyRingProvider.SectionName, typeof(MasterKeyRingProvider), [e.Message]);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
