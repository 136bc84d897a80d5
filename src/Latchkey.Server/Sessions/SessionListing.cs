namespace Latchkey.Server.Sessions;

/// <summary>One active session as the session pages show it.</summary>
public sealed record SessionView(
    Guid Id,
    string Device,
    string? IpAddress,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastSeenAt,
    bool IsPersistent,
    IReadOnlyList<string> AuthMethods,
    IReadOnlyList<string> Apps,
    bool IsCurrent);

/// <summary>What <c>/account/sessions</c> and the admin's view of a user's sessions list and end.</summary>
public sealed class SessionListing(SsoSessionRegistry sessions)
{
    public async Task<IReadOnlyList<SessionView>> ListAsync(Guid userId, Guid? currentSessionId, CancellationToken ct)
    {
        var active = await sessions.ListActiveForUserAsync(userId, ct);
        return [.. active.Select(s => new SessionView(
            s.Id,
            UserAgentDevice.Describe(s.UserAgent),
            s.IpAddress,
            s.CreatedAt,
            s.LastSeenAt,
            s.IsPersistent,
            s.AuthMethods,
            [.. s.Participants.OrderBy(p => p.FirstSeenAt).Select(p => (p.Protocol == SsoProtocols.Oidc ? "OIDC: " : "simple-sso: ") + p.ClientId)],
            s.Id == currentSessionId))];
    }

    /// <summary>Ends one of the user's own active sessions; false (→ 404) when the id is not an active session of that user.</summary>
    public async Task<bool> EndAsync(Guid userId, Guid sessionId, string reason, CancellationToken ct)
    {
        var session = await sessions.FindActiveAsync(sessionId, ct);
        return session is not null && session.UserId == userId && await sessions.EndAsync(sessionId, reason, ct);
    }
}
