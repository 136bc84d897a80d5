using System.Diagnostics.CodeAnalysis;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>The origin rules WebAuthn clients apply, so the server accepts exactly what a browser would send.</summary>
public static class PasskeyOrigins
{
    /// <summary>An origin: absolute http(s) URL with nothing after the authority (a trailing slash is tolerated).</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out Uri? origin)
    {
        origin = null;
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0
            || value.Contains('?') || value.Contains('#'))
        {
            return false;
        }

        origin = uri;
        return true;
    }

    /// <summary>Whether <paramref name="host"/> is the relying-party id or one of its subdomains.</summary>
    public static bool IsWithinDomain(string host, string domain) =>
        string.Equals(host, domain, StringComparison.OrdinalIgnoreCase)
        || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);

    /// <summary>Same scheme, host and port.</summary>
    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>
    /// Identity's origin hook: the browser-reported origin must be one of <paramref name="allowed"/>, or, when none are configured,
    /// exactly the origin this request was made to. Embedded (cross-origin iframe) ceremonies are never accepted.
    /// </summary>
    public static bool IsAllowed(Microsoft.AspNetCore.Identity.PasskeyOriginValidationContext context, IReadOnlyList<Uri> allowed)
    {
        if (context.CrossOrigin || context.TopOrigin is not null || !TryParse(context.Origin, out var origin))
        {
            return false;
        }

        if (allowed.Count > 0)
        {
            return allowed.Any(candidate => SameOrigin(candidate, origin));
        }

        var request = context.HttpContext.Request;
        return Uri.TryCreate($"{request.Scheme}://{request.Host}/", UriKind.Absolute, out var own) && SameOrigin(own, origin);
    }
}
