using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace Latchkey.Server.Sessions;

/// <summary>
/// The <c>iss</c> of logout tokens and front-channel URLs: OpenIddict's configured issuer, else
/// <c>Latchkey:Oidc:Issuer</c>, else the base URL of the request that ends the session — the same
/// rule OpenIddict uses when it derives the issuer from the request, so clients see one issuer.
/// </summary>
public sealed class SingleLogoutIssuer(IOptionsMonitor<OpenIddictServerOptions> serverOptions, IConfiguration configuration)
{
    public const string ConfigurationKey = "Latchkey:Oidc:Issuer";

    public string? Resolve(HttpContext? http)
    {
        if (serverOptions.CurrentValue.Issuer is { } configured)
        {
            return configured.AbsoluteUri;
        }

        if (Uri.TryCreate(configuration[ConfigurationKey], UriKind.Absolute, out var fromSettings))
        {
            return fromSettings.AbsoluteUri;
        }

        if (http is null || !http.Request.Host.HasValue)
        {
            return null;
        }

        var request = http.Request;
        return Uri.TryCreate(request.Scheme + Uri.SchemeDelimiter + request.Host + request.PathBase, UriKind.Absolute, out var derived)
            ? derived.AbsoluteUri
            : null;
    }
}
