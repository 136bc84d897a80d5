namespace Latchkey.Server.Sessions;

/// <summary>
/// One server-side SSO session: what a sign-in produced. Identity's cookie only points at it (claim
/// <c>sid</c>), so ending this row signs the browser out everywhere, for every protocol.
/// </summary>
public sealed class SsoSession
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the user last proved who they are (OIDC <c>auth_time</c>).</summary>
    public DateTimeOffset AuthenticatedAt { get; set; }

    /// <summary>Updated at most once a minute by the cookie check, so it costs one write per minute per active browser.</summary>
    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>RFC 8176 method references, e.g. <c>pwd</c>, <c>otp</c>, <c>hwk</c>.</summary>
    public string[] AuthMethods { get; set; } = [];

    /// <summary>"Keep me signed in": a persistent cookie and the longer RememberMe bounds of <see cref="SessionLifetimeOptions"/>.</summary>
    public bool IsPersistent { get; set; }

    public string? IpAddress { get; set; }

    public string? UserAgent { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Why it ended, e.g. <c>logout</c>, <c>user-disabled</c>, <c>password-changed</c>.</summary>
    public string? EndReason { get; set; }

    public List<SsoSessionParticipant> Participants { get; set; } = [];

    public bool IsActive => EndedAt is null;
}

/// <summary>An application that received a login from a session, so single logout knows whom to tell.</summary>
public sealed class SsoSessionParticipant
{
    public Guid SessionId { get; set; }

    /// <summary><see cref="SsoProtocols.SimpleSso"/> or <see cref="SsoProtocols.Oidc"/>.</summary>
    public string Protocol { get; set; } = "";

    /// <summary>The simple-sso consumer name or the OIDC client_id.</summary>
    public string ClientId { get; set; } = "";

    public DateTimeOffset FirstSeenAt { get; set; }
}

/// <summary>Protocol names recorded on <see cref="SsoSessionParticipant"/>.</summary>
public static class SsoProtocols
{
    public const string SimpleSso = "simple-sso";
    public const string Oidc = "oidc";
}

/// <summary>Reasons recorded in <see cref="SsoSession.EndReason"/> by the server itself.</summary>
public static class SsoSessionEndReasons
{
    public const string Logout = "logout";
    public const string UserDisabled = "user-disabled";
    public const string PasswordChanged = "password-changed";

    /// <summary>The password was reset through a mailed link or by an administrator.</summary>
    public const string PasswordReset = "password-reset";

    /// <summary>An administrator reset the user's second factors.</summary>
    public const string MfaReset = "mfa-reset";

    /// <summary>The user was deleted; sessions end (and logouts are sent) before the rows go.</summary>
    public const string UserDeleted = "user-deleted";

    /// <summary>The user ended it from their session list.</summary>
    public const string EndedByUser = "ended-by-user";

    /// <summary>An administrator ended it.</summary>
    public const string EndedByAdmin = "ended-by-admin";

    /// <summary>No request within the idle timeout.</summary>
    public const string IdleTimeout = "idle-timeout";

    /// <summary>Older than its absolute lifetime.</summary>
    public const string Expired = "expired";

    /// <summary>Another user signed in in the same browser.</summary>
    public const string Replaced = "replaced";
}
