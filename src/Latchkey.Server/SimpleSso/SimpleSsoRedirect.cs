using System.Text;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// Builds authorize's success <c>Location</c> the way django-simple-sso does (protocol §3.2):
/// split <c>redirect_to</c>, decode its query and re-encode it quote_plus style, put
/// <c>access_token</c> last (replacing any earlier one), drop <c>;params</c> and the fragment.
/// </summary>
internal static class SimpleSsoRedirect
{
    public static string WithAccessToken(string redirectTo, string signedAccessToken)
    {
        // urlsplit: scheme "://" netloc, then path up to '?' or '#', then query up to '#'.
        var authorityStart = redirectTo.IndexOf("://", StringComparison.Ordinal) + 3;
        var pathStart = redirectTo.IndexOfAny(['/', '?', '#'], authorityStart);
        if (pathStart < 0)
        {
            pathStart = redirectTo.Length;
        }

        var fragmentStart = redirectTo.IndexOf('#', pathStart);
        var beforeFragment = fragmentStart < 0 ? redirectTo : redirectTo[..fragmentStart];
        var queryStart = beforeFragment.IndexOf('?', pathStart);
        var path = queryStart < 0 ? beforeFragment[pathStart..] : beforeFragment[pathStart..queryStart];
        var query = queryStart < 0 ? "" : beforeFragment[(queryStart + 1)..];

        // urlparse treats ";..." in the last path segment as params, which urlunparse('') drops.
        var paramsStart = path.IndexOf(';', Math.Max(path.LastIndexOf('/'), 0));
        if (paramsStart >= 0)
        {
            path = path[..paramsStart];
        }

        var result = new StringBuilder(redirectTo.Length + signedAccessToken.Length + 16);
        result.Append(redirectTo, 0, pathStart).Append(path).Append('?');
        foreach (var pair in query.Split('&'))
        {
            if (pair.Length == 0)
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            var name = Unquote(equals < 0 ? pair : pair[..equals]);
            if (name == "access_token")
            {
                continue;
            }

            var value = equals < 0 ? "" : Unquote(pair[(equals + 1)..]);
            QuotePlus(result, name);
            result.Append('=');
            QuotePlus(result, value);
            result.Append('&');
        }

        result.Append("access_token=");
        QuotePlus(result, signedAccessToken);
        return result.ToString();
    }

    private static string Unquote(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));

    // Python's quote_plus: keep [A-Za-z0-9_.~-], space as '+', every other UTF-8 byte as %XX.
    private static void QuotePlus(StringBuilder output, string text)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'_' or (byte)'.' or (byte)'-' or (byte)'~')
            {
                output.Append((char)b);
            }
            else if (b == (byte)' ')
            {
                output.Append('+');
            }
            else
            {
                output.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
