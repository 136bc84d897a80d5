using System.Text.RegularExpressions;

namespace Latchkey.Server.Sessions;

/// <summary>
/// "Firefox on Windows"-style names for the session list, from the User-Agent header. Deliberately small: it names the
/// common browsers and systems and falls back to "Unknown browser"/"unknown device"; it is a hint for the user, never
/// a security signal (the header is whatever the client sent).
/// </summary>
public static partial class UserAgentDevice
{
    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown browser on unknown device";
        }

        return $"{Browser(userAgent)} on {System(userAgent)}";
    }

    public static string Browser(string userAgent)
    {
        // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
        if (Version(EdgePattern(), userAgent) is { } edge) return "Edge " + edge;
        if (Version(OperaPattern(), userAgent) is { } opera) return "Opera " + opera;
        if (Version(FirefoxPattern(), userAgent) is { } firefox) return "Firefox " + firefox;
        if (userAgent.Contains("HeadlessChrome", StringComparison.Ordinal)) return "Headless Chrome";
        if (Version(ChromePattern(), userAgent) is { } chrome) return "Chrome " + chrome;
        if (userAgent.Contains("Safari/", StringComparison.Ordinal) && Version(SafariPattern(), userAgent) is { } safari) return "Safari " + safari;
        if (userAgent.StartsWith("curl/", StringComparison.Ordinal)) return "curl";
        return "Unknown browser";
    }

    public static string System(string userAgent)
    {
        if (userAgent.Contains("iPhone", StringComparison.Ordinal)) return "iPhone";
        if (userAgent.Contains("iPad", StringComparison.Ordinal)) return "iPad";
        if (userAgent.Contains("Android", StringComparison.Ordinal)) return "Android";
        if (userAgent.Contains("Windows", StringComparison.Ordinal)) return "Windows";
        if (userAgent.Contains("Mac OS X", StringComparison.Ordinal) || userAgent.Contains("Macintosh", StringComparison.Ordinal)) return "macOS";
        if (userAgent.Contains("CrOS", StringComparison.Ordinal)) return "ChromeOS";
        if (userAgent.Contains("Linux", StringComparison.Ordinal)) return "Linux";
        return "unknown device";
    }

    private static string? Version(Regex pattern, string userAgent) => pattern.Match(userAgent) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex(@"Edg(?:e|A|iOS)?/(\d+)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex EdgePattern();

    [GeneratedRegex(@"(?:OPR|Opera)/(\d+)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex OperaPattern();

    [GeneratedRegex(@"(?:Firefox|FxiOS)/(\d+)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex FirefoxPattern();

    [GeneratedRegex(@"(?:Chrome|CriOS)/(\d+)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex ChromePattern();

    [GeneratedRegex(@"Version/(\d+)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex SafariPattern();
}
