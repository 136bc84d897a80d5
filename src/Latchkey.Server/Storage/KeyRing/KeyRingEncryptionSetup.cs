using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// Runs after every other <see cref="KeyManagementOptions"/> setup (the database repository included) and
/// puts the master key in front of it: new keys are encrypted, and the ring is checked for foreign master keys.
/// </summary>
internal sealed class KeyRingEncryptionSetup(MasterKeyRingProvider keys) : IPostConfigureOptions<KeyManagementOptions>
{
    public void PostConfigure(string? name, KeyManagementOptions options)
    {
        options.XmlEncryptor = new AesGcmXmlEncryptor(keys);
        if (options.XmlRepository is { } repository and not MasterKeyCheckingXmlRepository)
        {
            options.XmlRepository = new MasterKeyCheckingXmlRepository(repository, keys);
        }
    }
}
