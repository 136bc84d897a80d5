namespace Latchkey.SimpleSso;

/// <summary>
/// How old, or how far in the future, a signed timestamp may be. django-simple-sso allows 5 s
/// in the past and (on itsdangerous 2.x) nothing in the future, which breaks on ordinary clock
/// skew (its issue #55); Latchkey accepts a symmetric, configurable window.
/// </summary>
/// <param name="MaxAge">Largest accepted age.</param>
/// <param name="MaxFutureSkew">How far ahead of our clock a sender's clock may be.</param>
public sealed record FreshnessWindow(TimeSpan MaxAge, TimeSpan MaxFutureSkew)
{
    /// <summary>±30 s: tolerant of unsynchronised clocks, still short enough to bound replay.</summary>
    public static readonly FreshnessWindow Default = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));

    /// <summary>Returns null when <paramref name="signedAt"/> lies inside the window, else <see cref="SimpleSsoError.SignatureExpired"/>.</summary>
    public SimpleSsoError? Check(DateTimeOffset signedAt, DateTimeOffset now)
    {
        // Timestamps carry whole seconds, so compare against our clock floored the same way.
        var age = TimeSpan.FromSeconds(now.ToUnixTimeSeconds() - signedAt.ToUnixTimeSeconds());
        return age > MaxAge || -age > MaxFutureSkew ? SimpleSsoError.SignatureExpired : null;
    }
}
