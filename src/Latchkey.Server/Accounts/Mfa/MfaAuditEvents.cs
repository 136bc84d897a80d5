using Latchkey.Server.Audit;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>Audit event names of sign-in and MFA (catalogued in <c>docs/audit.md</c>). Never a code or secret in a record.</summary>
public static class MfaAuditEvents
{
    public const string SignInSucceeded = "signin.succeeded";
    public const string SignInFailed = "signin.failed";
    public const string TotpEnrolled = "mfa.totp.enrolled";
    public const string TotpDisabled = "mfa.totp.disabled";
    public const string TotpVerified = "mfa.totp.verified";
    public const string RecoveryCodeUsed = "mfa.recovery_code.used";
    public const string RecoveryCodesGenerated = "mfa.recovery_codes.generated";
    public const string EmailCodeSent = "mfa.email_code.sent";
    public const string EmailCodeVerified = "mfa.email_code.verified";
    public const string StepUpSucceeded = "mfa.step_up.succeeded";
    public const string VerificationFailed = "mfa.verification.failed";
    public const string AdminMfaReset = "admin.user.mfa_reset";
    public const string AdminMfaEnrolmentForced = "admin.user.mfa_enrolment_forced";

    /// <summary>Values of <c>Details["reason"]</c> on <see cref="SignInFailed"/>.</summary>
    public static class Reasons
    {
        public const string UnknownUser = "unknown_user";
        public const string WrongPassword = "wrong_password";
        public const string LockedOut = "locked_out";
        public const string Disabled = "disabled";
        public const string WrongCode = "wrong_code";
    }
}

/// <summary>Shorthands for the records the sign-in and MFA pages write.</summary>
public static class MfaAuditRecords
{
    public static AuditRecord For(string eventName, AuditOutcome outcome, LatchkeyUser? user, IReadOnlyDictionary<string, string>? details = null) =>
        new(eventName, outcome)
        {
            ActorId = user?.Id,
            ActorName = user?.UserName,
            SubjectId = user?.Id,
            SubjectName = user?.UserName,
            Details = details,
        };
}
