using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>
/// OpenIddict's application manager with client secrets hashed by <see cref="ClientSecretHash"/> (HMAC
/// under the server pepper) instead of PBKDF2: a token request costs one HMAC, not ~4 ms of key stretching.
/// </summary>
public sealed class LatchkeyApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication<Guid>> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication<Guid>>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication<Guid>> store,
    ClientSecretPepper pepper)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication<Guid>>(cache, logger, options, store)
{
    protected override async ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return ClientSecretHash.Compute(await pepper.GetAsync(cancellationToken), secret);
    }

    protected override async ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(comparand))
        {
            return false;
        }

        return ClientSecretHash.Verify(await pepper.GetAsync(cancellationToken), secret, comparand);
    }
}

public static class ClientSecretsRegistration
{
    /// <summary>Replaces OpenIddict's application manager with <see cref="LatchkeyApplicationManager"/> and registers the client services.</summary>
    public static OpenIddictCoreBuilder UseLatchkeyClientSecrets(this OpenIddictCoreBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddLatchkeyOidcKeysAndClients();
        return builder.ReplaceApplicationManager<OpenIddictEntityFrameworkCoreApplication<Guid>, LatchkeyApplicationManager>();
    }
}
