using Latchkey.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage.KeyRing;

public static class KeyRingProtectionRegistration
{
    /// <summary>
    /// Encrypts the Data Protection key ring at rest with AES-256-GCM under a master key kept outside the
    /// database (<c>Latchkey:DataProtection:MasterKey</c>, or <c>master.key</c> in the data directory).
    /// </summary>
    public static IDataProtectionBuilder ProtectKeysWithLatchkeyMasterKey(this IDataProtectionBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton<MasterKeyRingProvider>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, MasterKeyValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<KeyManagementOptions>, KeyRingEncryptionSetup>());
        services.TryAddSingleton<KeyRingRewrapper>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KeyRingStartup>());
        return builder;
    }
}
