namespace Latchkey.Server.Consumers;

/// <summary>
/// Origins (<c>scheme://host[:port]</c>) as consumers register them and as <c>redirect_to</c> is
/// matched against them. One normaliser serves both sides so the comparison is exact.
/// </summary>
public static class RedirectOrigin
{
    /// <summary>Longest accepted <c>redirect_to</c>; the token table stores at most this many characters.</summary>
    public const int MaxRedirectLength = 2048;

    /// <summary>
    /// Normalises a registered origin: an absolute http(s) URL with nothing after the authority but
    /// an optional <c>/</c>. Returns null when the value is not such an origin.
    /// </summary>
    public static string? NormalizeRegistered(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 255 || HasUnsafeCharacters(value))
        {
            return null;
        }

        // Look at the raw text too: System.Uri silently removes dot segments and default ports,
        // and an origin like "https://a.example/./" is a typo we should not guess about.
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return null;
        }

        var authorityStart = schemeEnd + 3;
        var pathStart = value.IndexOfAny(['/', '?', '#'], authorityStart);
        if (pathStart >= 0 && value[pathStart..] != "/")
        {
            return null;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" ? OriginOf(uri) : null;
    }

    /// <summary>
    /// The origin of a <c>redirect_to</c> value, or null when it is not an absolute http(s) URL a
    /// browser would send to that same origin.
    /// </summary>
    public static string? OfRedirectTarget(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxRedirectLength || HasUnsafeCharacters(value))
        {
            return null;
        }

        // Browsers treat "\" like "/" in http(s) URLs, so "https://a.example\@evil/" would be read
        // differently by System.Uri and by the browser that follows our Location header.
        if (value.Contains('\\', StringComparison.Ordinal) || !value.Contains("://", StringComparison.Ordinal))
        {
            return null;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) ? OriginOf(uri) : null;
    }

    private static string? OriginOf(Uri uri)
    {
        if ((uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0
            || string.IsNullOrEmpty(uri.Host))
        {
            return null;
        }

        var host = uri.IdnHost.ToLowerInvariant();
        if (uri.HostNameType == UriHostNameType.IPv6 && !host.StartsWith('['))
        {
            host = "[" + host + "]";
        }

        var origin = uri.Scheme + "://" + host;
        return uri.IsDefaultPort ? origin : origin + ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool HasUnsafeCharacters(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return true;
            }
        }

        return false;
    }
}
