using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using OpenIddict.Validation;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>
/// Feeds the key ring into OpenIddict's server options. OpenIddict reads them through
/// <see cref="IOptionsMonitor{TOptions}"/> per request, so when the ring's change token fires the options are
/// rebuilt and the new signing order, JWKS and validation keys apply from the next request on.
/// </summary>
internal sealed class OpenIddictSigningKeysSetup(SigningKeyRing ring)
    : IConfigureOptions<OpenIddictServerOptions>, IPostConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        var snapshot = ring.Current;
        foreach (var key in snapshot.Encryption)
        {
            options.EncryptionCredentials.Add(new EncryptingCredentials(key.Key, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        }

        foreach (var key in snapshot.Signing)
        {
            options.SigningCredentials.Add(new SigningCredentials(key.Key, SigningKeyMaterial.SecurityAlgorithm(key.Algorithm)));
        }
    }

    /// <summary>
    /// OpenIddict sorts credentials with a comparer that ranks all non-X.509 asymmetric keys equal; its
    /// sort is not guaranteed stable, so restore the ring's order (the first signs).
    /// </summary>
    public void PostConfigure(string? name, OpenIddictServerOptions options)
    {
        var order = ring.Current.Signing.Select((k, i) => (k.Kid, i)).ToDictionary(p => p.Kid, p => p.i, StringComparer.Ordinal);
        var sorted = options.SigningCredentials
            .OrderBy(c => c.Key.KeyId is { } kid && order.TryGetValue(kid, out var index) ? index : int.MaxValue)
            .ToList();
        options.SigningCredentials.Clear();
        options.SigningCredentials.AddRange(sorted);
    }
}

/// <summary>Tells the options monitor of <typeparamref name="TOptions"/> to rebuild when the key ring changes.</summary>
internal sealed class SigningKeyChangeTokenSource<TOptions>(SigningKeyRing ring) : IOptionsChangeTokenSource<TOptions>
{
    public string Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => ring.GetChangeToken();
}
