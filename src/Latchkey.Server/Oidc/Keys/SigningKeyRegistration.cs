using Latchkey.Server.Oidc.Clients;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Validation;

namespace Latchkey.Server.Oidc.Keys;

public static class SigningKeyRegistration
{
    /// <summary>
    /// Signs and encrypts with the database-stored keys (created on first start, rotated by
    /// <c>latchkey keys rotate</c> and on schedule), picking up changes at runtime without a restart.
    /// </summary>
    public static OpenIddictServerBuilder UseLatchkeySigningKeys(this OpenIddictServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddLatchkeyOidcKeysAndClients();
        services.TryAddSingleton<SigningKeyRing>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<OpenIddictServerOptions>, OpenIddictSigningKeysSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIddictServerOptions>, OpenIddictSigningKeysSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<OpenIddictServerOptions>, SigningKeyChangeTokenSource<OpenIddictServerOptions>>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<OpenIddictValidationOptions>, SigningKeyChangeTokenSource<OpenIddictValidationOptions>>());
        services.AddHostedService<SigningKeyRefresher>();
        return builder.AddEventHandler(ClientIdTokenAlgorithmHandler.Descriptor);
    }
}
