namespace Latchkey.SimpleSso;

/// <summary>
/// Decides whether a <c>next</c> value is a same-origin path. django-simple-sso let <c>///evil</c> and
/// <c>https:evil</c> through (its weakness 6); this accepts only <c>/path</c> forms a browser cannot
/// resolve to another host, checked again after one more percent-decoding.
/// </summary>
public static class LocalRedirect
{
    /// <summary>Returns <paramref name="next"/> when it is a safe local path, otherwise <c>"/"</c>.</summary>
    public static string Sanitize(string? next) => IsSafeLocalPath(next) ? next! : "/";

    /// <summary>Whether a value is a path on this origin that no browser resolves elsewhere.</summary>
    public static bool IsSafeLocalPath(string? next)
    {
        if (string.IsNullOrEmpty(next) || next.Length > 2048 || !IsSafeShape(next))
        {
            return false;
        }

        // Percent-encoded variants (e.g. /%2F%2Fevil after a second decode) must not smuggle a host in.
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(next);
        }
        catch (UriFormatException)
        {
            return false;
        }

        return IsSafeShape(decoded);
    }

    private static bool IsSafeShape(string path)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        // "//host" and "/\host" are scheme-relative to browsers; WHATWG parsing also strips tabs and newlines.
        if (path.Length > 1 && (path[1] == '/' || path[1] == '\\'))
        {
            return false;
        }

        foreach (var c in path)
        {
            if (c == '\\' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
