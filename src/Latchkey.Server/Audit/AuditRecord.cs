namespace Latchkey.Server.Audit;

/// <summary>Whether the audited action succeeded.</summary>
public enum AuditOutcome
{
    Success,
    Failure,
}

/// <summary>
/// One event to append to the audit log. <see cref="IAuditLog"/> adds the sequence, time, client IP,
/// user agent and hash chain. Never put a secret, token, code or password in any field.
/// </summary>
/// <param name="Event">Lowercase <c>area.action</c>, e.g. <c>signin.failed</c>; see <see cref="AuditEvents"/> and <c>docs/audit.md</c>.</param>
/// <param name="Outcome">Whether the action succeeded.</param>
public sealed record AuditRecord(string Event, AuditOutcome Outcome)
{
    /// <summary>Who did it; when unset, the signed-in user of the current request (if any).</summary>
    public Guid? ActorId { get; init; }

    /// <summary>Who did it, by name; when unset, the signed-in user of the current request, else <see cref="AuditActors.System"/>.</summary>
    public string? ActorName { get; init; }

    /// <summary>Whom or what it was done to (usually a user id).</summary>
    public Guid? SubjectId { get; init; }

    /// <summary>The subject by name (user name, consumer name, client id, key id).</summary>
    public string? SubjectName { get; init; }

    /// <summary>The application involved: <c>simple-sso:&lt;consumer&gt;</c> or <c>oidc:&lt;client_id&gt;</c>.</summary>
    public string? App { get; init; }

    /// <summary>Small, non-secret facts (e.g. <c>reason</c>, <c>grant_type</c>). Stored as a JSON object.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    /// <summary>The <see cref="App"/> value for a simple-sso consumer.</summary>
    public static string SimpleSsoApp(string consumerName) => "simple-sso:" + consumerName;

    /// <summary>The <see cref="App"/> value for an OIDC client.</summary>
    public static string OidcApp(string clientId) => "oidc:" + clientId;
}

/// <summary>Actor names used when no person acts.</summary>
public static class AuditActors
{
    /// <summary>Background work of the server (sweepers, retention, scheduled rotation).</summary>
    public const string System = "system";

    /// <summary>An operator running a <c>latchkey</c> command on the server.</summary>
    public const string Cli = "cli";
}
