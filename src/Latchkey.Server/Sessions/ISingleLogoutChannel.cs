namespace Latchkey.Server.Sessions;

/// <summary>
/// A way of telling applications, server to server, that an SSO session has ended. When a session ends,
/// every registered channel is asked which of its participants it must notify (<see cref="PlanAsync"/>);
/// those notifications are stored as <see cref="LogoutDelivery"/> rows in the same transaction and sent
/// later by <see cref="LogoutDeliveryWorker"/> through <see cref="DeliverAsync"/>, with retries.
/// </summary>
/// <remarks>
/// Registered today: <see cref="OidcBackChannelLogout"/> (OpenID Connect Back-Channel Logout 1.0).
/// simple-sso participants have no channel yet: the signed back-channel call that Latchkey's own .NET
/// client honours is a protocol extension planned in issue 5, and django-simple-sso clients cannot
/// receive one at all. Until such a channel is registered, simple-sso participants are only recorded
/// and are signed out by their own session lifetime. Add it as another implementation registered with
/// <c>services.AddScoped&lt;ISingleLogoutChannel, ...&gt;()</c>.
/// </remarks>
public interface ISingleLogoutChannel
{
    /// <summary>Stored in <see cref="LogoutDelivery.Channel"/>; stable across releases.</summary>
    string Name { get; }

    /// <summary>The notifications this channel owes for an ended session (empty when none of its participants asked for one).</summary>
    Task<IReadOnlyList<LogoutTarget>> PlanAsync(SsoSession session, IReadOnlyList<SsoSessionParticipant> participants, CancellationToken ct);

    /// <summary>Sends one notification. Must not throw for receiver failures: report them as a result.</summary>
    Task<LogoutDeliveryResult> DeliverAsync(LogoutDelivery delivery, CancellationToken ct);
}

/// <summary>One application to notify, and where.</summary>
public sealed record LogoutTarget(string ClientId, string Endpoint);

/// <summary>What a delivery attempt achieved. <paramref name="Retry"/> false means retrying cannot help.</summary>
public sealed record LogoutDeliveryResult(bool Delivered, bool Retry, string? Error)
{
    public static LogoutDeliveryResult Success { get; } = new(true, false, null);

    public static LogoutDeliveryResult TransientFailure(string error) => new(false, true, error);

    public static LogoutDeliveryResult PermanentFailure(string error) => new(false, false, error);
}
