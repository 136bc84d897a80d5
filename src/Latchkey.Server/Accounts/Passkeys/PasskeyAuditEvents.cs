namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>Audit events of passkey management (catalogued in <c>docs/audit.md</c>); sign-ins use <c>signin.*</c> with method=passkey.</summary>
public static class PasskeyAuditEvents
{
    public const string Registered = "mfa.passkey.registered";
    public const string Renamed = "mfa.passkey.renamed";
    public const string Removed = "mfa.passkey.removed";
    public const string Verified = "mfa.passkey.verified";

    /// <summary><c>Details["method"]</c> of sign-in records.</summary>
    public const string Method = "passkey";
}
