using Latchkey.Server.Oidc.Keys;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>Services shared by the server and the CLI: key store, client registry, secret hashing.</summary>
internal static class OidcKeysAndClientsRegistration
{
    public static IServiceCollection AddLatchkeyOidcKeysAndClients(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(Marker)))
        {
            return services;
        }

        services.AddSingleton<Marker>();
        services.TryAddSingleton(TimeProvider.System);

        // Bound here as well as by the server so CLI hosts (which have no OIDC server) see the same lifetimes.
        services.AddOptions<LatchkeyOidcOptions>().BindConfiguration(LatchkeyOidcOptions.SectionName);
        services.AddOptions<SigningKeyOptions>().BindConfiguration(LatchkeyOidcOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SigningKeyOptions>, SigningKeyOptionsValidator>());
        services.TryAddScoped<SigningKeyStore>();

        services.TryAddSingleton<ClientSecretPepper>();
        services.TryAddSingleton<ClientApplicationCache>();
        services.TryAddScoped<ClientRegistry>();
        return services;
    }

    private sealed class Marker;
}
