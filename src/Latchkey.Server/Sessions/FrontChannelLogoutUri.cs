using System.Text;

namespace Latchkey.Server.Sessions;

/// <summary>Builds front-channel logout URLs and the response policy that lets the logout page frame them.</summary>
public static class FrontChannelLogoutUri
{
    /// <summary>Adds <c>iss</c> and <c>sid</c> (Front-Channel Logout 1.0 §2) to the client's URL, keeping its own query.</summary>
    public static Uri WithSession(Uri frontChannelLogoutUri, string issuer, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(frontChannelLogoutUri);
        var builder = new UriBuilder(frontChannelLogoutUri);
        var query = builder.Query.TrimStart('?');
        var extra = "iss=" + Uri.EscapeDataString(issuer) + "&sid=" + Uri.EscapeDataString(sessionId);
        builder.Query = query.Length == 0 ? extra : query + "&" + extra;
        return builder.Uri;
    }

    /// <summary>
    /// The site's usual Content-Security-Policy plus <c>frame-src</c> for exactly the origins of
    /// <paramref name="uris"/>; set only on the response that renders those iframes.
    /// </summary>
    public static string ContentSecurityPolicyFor(IEnumerable<Uri> uris)
    {
        var origins = uris.Select(u => u.GetLeftPart(UriPartial.Authority)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var policy = new StringBuilder("default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'");
        policy.Append("; frame-src ").Append(origins.Count == 0 ? "'none'" : string.Join(' ', origins));
        return policy.ToString();
    }
}
