namespace Latchkey.Server.Accounts.PasswordPolicy;

/// <summary><c>Latchkey:Accounts:Password</c>: NIST SP 800-63B style rules (length and a blocklist, no composition rules).</summary>
public sealed class PasswordPolicyOptions
{
    /// <summary>NIST SP 800-63B's minimum for user-chosen memorized secrets.</summary>
    public const int DefaultMinimumLength = 8;

    /// <summary>NIST asks for at least 64; 256 leaves room for pass phrases while bounding the hashing work per request.</summary>
    public const int DefaultMaximumLength = 256;

    public int MinimumLength { get; set; } = DefaultMinimumLength;

    public int MaximumLength { get; set; } = DefaultMaximumLength;

    /// <summary>Refuse passwords on the bundled list of common/breached passwords (see docs/security.md).</summary>
    public bool RejectCommonPasswords { get; set; } = true;
}
