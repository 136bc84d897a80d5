namespace Latchkey.Server.Hosting.RateLimiting;

/// <summary>One fixed-window budget: <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    public static RateLimitRule Of(int permitLimit, TimeSpan window) => new() { PermitLimit = permitLimit, Window = window };
}

/// <summary>The per-IP and per-account budgets of one policy.</summary>
public sealed class RateLimitPolicyOptions
{
    /// <summary>Per client IP address (IPv6 by /64, which one host usually owns).</summary>
    public RateLimitRule PerIp { get; set; } = new();

    /// <summary>Per account: the posted user name or e-mail, the client_id or the simple-sso consumer key.</summary>
    public RateLimitRule PerAccount { get; set; } = new();
}

/// <summary>
/// <c>Latchkey:RateLimits</c>. There is deliberately no switch to turn limiting off; raise the limits instead
/// (e.g. for benchmarks of the token endpoint).
/// </summary>
public sealed class LatchkeyRateLimitOptions
{
    /// <summary>POSTs to the login form. Lockout handles a slow guesser; this stops fast ones and password spraying from one address.</summary>
    public RateLimitPolicyOptions Login { get; set; } = new()
    {
        PerIp = RateLimitRule.Of(30, TimeSpan.FromMinutes(1)),
        PerAccount = RateLimitRule.Of(10, TimeSpan.FromMinutes(1)),
    };

    /// <summary>Second-factor submissions (a 6-digit code has only a million values).</summary>
    public RateLimitPolicyOptions Mfa { get; set; } = new()
    {
        PerIp = RateLimitRule.Of(30, TimeSpan.FromMinutes(1)),
        PerAccount = RateLimitRule.Of(10, TimeSpan.FromMinutes(1)),
    };

    /// <summary>Forgot-password and reset submissions: each may send a mail, so the budget is small.</summary>
    public RateLimitPolicyOptions PasswordReset { get; set; } = new()
    {
        PerIp = RateLimitRule.Of(10, TimeSpan.FromMinutes(15)),
        PerAccount = RateLimitRule.Of(5, TimeSpan.FromMinutes(15)),
    };

    /// <summary>OIDC token, device, PAR, introspection and revocation endpoints and the simple-sso server-to-server calls.</summary>
    public RateLimitPolicyOptions Token { get; set; } = new()
    {
        PerIp = RateLimitRule.Of(1200, TimeSpan.FromMinutes(1)),
        PerAccount = RateLimitRule.Of(600, TimeSpan.FromMinutes(1)),
    };

    /// <summary>
    /// Passkey options (a WebAuthn challenge, stored as a one-time row until it expires). The login page asks for one on
    /// every view for autofill, so the budget is a page-view budget: generous for people behind one NAT, small for a flood.
    /// </summary>
    public RateLimitPolicyOptions Ceremony { get; set; } = new()
    {
        PerIp = RateLimitRule.Of(300, TimeSpan.FromMinutes(1)),
        PerAccount = RateLimitRule.Of(300, TimeSpan.FromMinutes(1)),
    };

    public RateLimitPolicyOptions For(string policy) => policy switch
    {
        RateLimitPolicies.Login => Login,
        RateLimitPolicies.Mfa => Mfa,
        RateLimitPolicies.PasswordReset => PasswordReset,
        RateLimitPolicies.Token => Token,
        RateLimitPolicies.Ceremony => Ceremony,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown rate-limit policy."),
    };

    internal IEnumerable<(string Key, RateLimitRule Rule)> Rules() =>
        from pair in new (string Name, RateLimitPolicyOptions Policy)[] { ("Login", Login), ("Mfa", Mfa), ("PasswordReset", PasswordReset), ("Token", Token), ("Ceremony", Ceremony) }
        from rule in new[] { ("PerIp", pair.Policy.PerIp), ("PerAccount", pair.Policy.PerAccount) }
        select ($"Latchkey:RateLimits:{pair.Name}:{rule.Item1}", rule.Item2);
}
