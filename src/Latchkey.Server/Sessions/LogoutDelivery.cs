namespace Latchkey.Server.Sessions;

/// <summary>
/// One server-to-server logout notification owed to one application for one ended session. Written in
/// the same transaction that ends the session, so a crash cannot lose it; sent and retried by
/// <see cref="LogoutDeliveryWorker"/>, never by the request that ended the session.
/// </summary>
public sealed class LogoutDelivery
{
    public Guid Id { get; set; }

    public Guid SessionId { get; set; }

    /// <summary>The <see cref="ISingleLogoutChannel.Name"/> that sends it.</summary>
    public string Channel { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>Where it goes (e.g. the client's <c>backchannel_logout_uri</c>), fixed when the session ended.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>The user id (<c>sub</c>) of the ended session.</summary>
    public string Subject { get; set; } = "";

    /// <summary>The user's name when the session ended, for channels that identify users by name (simple-sso).</summary>
    public string? SubjectName { get; set; }

    /// <summary>The issuer in force when the session ended; null when it ended outside a request and none is configured.</summary>
    public string? Issuer { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public LogoutDeliveryStatus Status { get; set; }

    /// <summary>A short description of the last failure (status code, timeout, refused); never a token.</summary>
    public string? LastError { get; set; }
}

public enum LogoutDeliveryStatus
{
    Pending = 0,
    Delivered = 1,
    /// <summary>Every retry failed, or the failure cannot be cured by retrying.</summary>
    Failed = 2,
}
