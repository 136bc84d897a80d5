using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Latchkey.Server.Sessions;

/// <summary>What the cookie check needs to know about a session.</summary>
public sealed record SsoSessionState(Guid SessionId, Guid UserId, bool Active, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, bool IsPersistent)
{
    /// <summary>A non-persistent session created when it was last seen (kept for callers written before lifetimes existed).</summary>
    public SsoSessionState(Guid SessionId, Guid UserId, bool Active, DateTimeOffset LastSeenAt)
        : this(SessionId, UserId, Active, LastSeenAt, LastSeenAt, false)
    {
    }
}

/// <summary>
/// Session lookups for the per-request cookie check, remembered for at most <see cref="MaxAge"/> so a
/// session ended on another node (same database) is refused within that time. Ages are measured with
/// the injected <see cref="TimeProvider"/>; the memory cache's own expiry only frees memory.
/// </summary>
public sealed class SsoSessionStateCache(IMemoryCache cache, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Eviction = TimeSpan.FromSeconds(5);

    // Only saves a lookup per sign-in to an app; kept short so memory follows the number of recently active sessions.
    private static readonly TimeSpan ParticipantEviction = TimeSpan.FromMinutes(1);

    private sealed record Entry(SsoSessionState? State, DateTimeOffset FetchedAt);

    /// <summary>The session's state, or null if it does not exist.</summary>
    public async Task<SsoSessionState?> GetAsync(Guid sessionId, LatchkeyDbContext db, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(Key(sessionId), out Entry? entry) && entry is not null && now - entry.FetchedAt < MaxAge && now >= entry.FetchedAt)
        {
            return entry.State;
        }

        var state = await db.Set<SsoSession>().AsNoTracking()
            .Where(s => s.Id == sessionId)
            .Select(s => new SsoSessionState(s.Id, s.UserId, s.EndedAt == null, s.CreatedAt, s.LastSeenAt, s.IsPersistent))
            .SingleOrDefaultAsync(ct);
        Remember(sessionId, state, now);
        return state;
    }

    public void Remember(Guid sessionId, SsoSessionState? state, DateTimeOffset fetchedAt) =>
        cache.Set(Key(sessionId), new Entry(state, fetchedAt), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Eviction, Size = 1 });

    /// <summary>
    /// True when this node already saw (or wrote) the participant row of this app in this session. Participant rows
    /// are never removed while their session exists, so a remembered one needs no database look.
    /// </summary>
    public bool KnowsParticipant(Guid sessionId, string protocol, string clientId) =>
        cache.TryGetValue(ParticipantKey(sessionId, protocol, clientId), out _);

    public void RememberParticipant(Guid sessionId, string protocol, string clientId) =>
        cache.Set(ParticipantKey(sessionId, protocol, clientId), true, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ParticipantEviction, Size = 1 });

    /// <summary>Forgets a session this node has just changed, so this node sees the change at once.</summary>
    public void Forget(Guid sessionId) => cache.Remove(Key(sessionId));

    private static string ParticipantKey(Guid sessionId, string protocol, string clientId) =>
        "latchkey:sso-participant:" + sessionId.ToString("N") + ":" + protocol + ":" + clientId;

    private static string Key(Guid sessionId) => "latchkey:sso-session:" + sessionId.ToString("N");
}
