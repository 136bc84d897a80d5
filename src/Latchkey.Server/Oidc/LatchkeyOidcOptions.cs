using Microsoft.Extensions.Options;

namespace Latchkey.Server.Oidc;

/// <summary><c>Latchkey:Oidc</c>: the OpenID Connect / OAuth 2.0 provider.</summary>
public sealed class LatchkeyOidcOptions
{
    public const string SectionName = "Latchkey:Oidc";

    /// <summary>Absolute issuer URL; when unset, OpenIddict derives it from each request's host.</summary>
    public string? Issuer { get; set; }

    /// <summary>Opaque reference access tokens (introspection needed) instead of signed JWTs (<c>at+jwt</c>).</summary>
    public bool UseReferenceAccessTokens { get; set; }

    /// <summary>
    /// Refuse OIDC endpoints over plain HTTP. Default true; set false only behind a TLS-terminating proxy
    /// that does not forward the scheme, or for local development and tests on loopback.
    /// </summary>
    public bool RequireHttps { get; set; } = true;

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan IdentityTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a redeemed refresh token may be presented again (network retries) before it counts as
    /// reuse and revokes the whole grant. Zero: any second use is reuse.
    /// </summary>
    public TimeSpan RefreshTokenReuseLeeway { get; set; } = TimeSpan.Zero;

    public TimeSpan DeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often <see cref="OidcStorePruner"/> deletes spent token and authorization rows.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Spent rows (expired, redeemed, revoked, rejected) are kept at least this long after they were created —
    /// for investigations, and so that presenting a redeemed refresh token is still recognised as reuse. Never less
    /// than <see cref="RefreshTokenLifetime"/>: the pruner keeps rows that young regardless.
    /// </summary>
    public TimeSpan PruneAfter { get; set; } = TimeSpan.FromDays(14);
}

/// <summary>Startup validation of <see cref="LatchkeyOidcOptions"/>.</summary>
public sealed class LatchkeyOidcOptionsValidator : IValidateOptions<LatchkeyOidcOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOidcOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Issuer)
            && (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out var issuer)
                || issuer.Scheme is not ("https" or "http")
                || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment)))
        {
            failures.Add($"Latchkey:Oidc:Issuer must be an absolute http(s) URL without query or fragment (got '{options.Issuer}').");
        }

        Positive(options.AccessTokenLifetime, nameof(options.AccessTokenLifetime));
        Positive(options.IdentityTokenLifetime, nameof(options.IdentityTokenLifetime));
        Positive(options.AuthorizationCodeLifetime, nameof(options.AuthorizationCodeLifetime));
        Positive(options.RefreshTokenLifetime, nameof(options.RefreshTokenLifetime));
        Positive(options.DeviceCodeLifetime, nameof(options.DeviceCodeLifetime));
        Positive(options.PruneInterval, nameof(options.PruneInterval));
        Positive(options.PruneAfter, nameof(options.PruneAfter));
        if (options.RefreshTokenReuseLeeway < TimeSpan.Zero)
        {
            failures.Add("Latchkey:Oidc:RefreshTokenReuseLeeway must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(TimeSpan value, string field)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Latchkey:Oidc:{field} must be positive.");
            }
        }
    }
}
