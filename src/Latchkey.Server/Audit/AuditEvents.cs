namespace Latchkey.Server.Audit;

/// <summary>Event names emitted by Latchkey itself; the catalogue with details is in <c>docs/audit.md</c>.</summary>
public static class AuditEvents
{
    public const string SsoRequestTokenIssued = "sso.request_token.issued";
    public const string SsoRequestTokenRejected = "sso.request_token.rejected";
    public const string SsoAuthorizeGranted = "sso.authorize.granted";
    public const string SsoVerifySucceeded = "sso.verify.succeeded";
    public const string SsoVerifyFailed = "sso.verify.failed";

    public const string ConsumerCreated = "consumer.created";
    public const string ConsumerUpdated = "consumer.updated";
    public const string ConsumerRemoved = "consumer.removed";
    public const string ConsumerKeysRotated = "consumer.keys_rotated";

    public const string ClientCreated = "client.created";
    public const string ClientUpdated = "client.updated";
    public const string ClientRemoved = "client.removed";
    public const string ClientSecretRotated = "client.secret_rotated";

    public const string KeyCreated = "key.created";
    public const string KeyRotated = "key.rotated";
    public const string KeyRetired = "key.retired";

    public const string TokenIssued = "token.issued";
    public const string TokenRevoked = "token.revoked";
    public const string CodeIssued = "code.issued";

    public const string SessionEnded = "session.ended";

    public const string AdminUserCreated = "admin.user.created";
    public const string AdminUserUpdated = "admin.user.updated";
    public const string AdminUserDisabled = "admin.user.disabled";
    public const string AdminUserEnabled = "admin.user.enabled";
    public const string AdminUserDeleted = "admin.user.deleted";
    public const string AdminUserPasswordSet = "admin.user.password_set";
    public const string AdminUserRoleGranted = "admin.user.role_granted";
    public const string AdminUserRoleRevoked = "admin.user.role_revoked";
    public const string AdminUserUnlocked = "admin.user.unlocked";

    public const string AuditArchived = "audit.archived";
}
