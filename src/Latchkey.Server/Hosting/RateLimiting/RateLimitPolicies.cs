namespace Latchkey.Server.Hosting.RateLimiting;

/// <summary>
/// Names of the rate-limit policies. Mark an endpoint with <c>[EnableRateLimiting(RateLimitPolicies.Mfa)]</c> (or
/// <c>.RequireRateLimiting(...)</c>); the well-known paths (login, password reset, token endpoints) are matched without it.
/// Each policy limits per client IP and per account (user name, e-mail, client_id or consumer key).
/// </summary>
public static class RateLimitPolicies
{
    public const string Login = "login";
    public const string Mfa = "mfa";
    public const string PasswordReset = "password-reset";
    public const string Token = "token";

    /// <summary>Anonymous passkey options: each one stores a ceremony row, so a flood must not grow the table unbounded.</summary>
    public const string Ceremony = "ceremony";

    public static readonly IReadOnlyList<string> All = [Login, Mfa, PasswordReset, Token, Ceremony];
}
