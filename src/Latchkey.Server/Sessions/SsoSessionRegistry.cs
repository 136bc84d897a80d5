using Latchkey.Server.Scaling;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Sessions;

/// <summary>
/// Starts, finds and ends SSO sessions and records which applications took part in them. Ending a
/// session writes the single-logout notifications it owes in the same transaction (see
/// <see cref="ISingleLogoutChannel"/>); they are sent in the background, so a slow or dead receiver
/// never holds up a logout.
/// </summary>
public sealed class SsoSessionRegistry(
    LatchkeyDbContext db,
    TimeProvider time,
    SsoSessionStateCache cache,
    IEnumerable<ISingleLogoutChannel> channels,
    IOidcLogoutClients oidcClients,
    SingleLogoutIssuer issuer,
    LogoutDeliverySignal deliverySignal,
    IClusterBus clusterBus,
    IHttpContextAccessor httpContextAccessor,
    ILogger<SsoSessionRegistry> logger,
    Audit.IAuditLog audit)
{
    private const int MaxUserAgentLength = 512;
    private const int MaxClientIdLength = 255;

    /// <summary>Delays between delivery attempts: after the first failure wait 10 s, and so on; after the last, give up.</summary>
    public static IReadOnlyList<TimeSpan> RetryDelays { get; } =
        [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1)];

    public Task<SsoSession> StartAsync(LatchkeyUser user, IReadOnlyList<string> authMethods, HttpContext http, CancellationToken ct) =>
        StartAsync(user, authMethods, http, persistent: false, ct);

    /// <param name="persistent">"Keep me signed in": the longer configured bounds apply.</param>
    public async Task<SsoSession> StartAsync(LatchkeyUser user, IReadOnlyList<string> authMethods, HttpContext http, bool persistent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(authMethods);
        ArgumentNullException.ThrowIfNull(http);

        var now = time.GetUtcNow();
        var userAgent = http.Request.Headers.UserAgent.ToString();
        var session = new SsoSession
        {
            Id = Guid.NewGuid(),
            UserId = user.Id,
            CreatedAt = now,
            AuthenticatedAt = now,
            LastSeenAt = now,
            AuthMethods = [.. authMethods.Distinct(StringComparer.Ordinal)],
            IsPersistent = persistent,
            IpAddress = http.Connection.RemoteIpAddress?.ToString(),
            UserAgent = userAgent.Length == 0 ? null : userAgent[..Math.Min(userAgent.Length, MaxUserAgentLength)],
        };
        db.Add(session);
        await db.SaveChangesAsync(ct);
        db.Entry(session).State = EntityState.Detached;
        Log.Started(logger, session.Id, user.Id);
        return session;
    }

    /// <summary>
    /// The same user proved who they are again in a browser that already has a session (OIDC <c>prompt=login</c>,
    /// <c>max_age</c>, a second factor): the session keeps its id and participants, so no app is logged out,
    /// and takes the new authentication time and methods. Null if the session is not active or not the user's.
    /// </summary>
    public Task<SsoSession?> ReauthenticateAsync(Guid sessionId, Guid userId, IReadOnlyList<string> authMethods, CancellationToken ct) =>
        ReauthenticateAsync(sessionId, userId, authMethods, persistent: false, ct);

    /// <param name="persistent">True turns the session into a "Keep me signed in" one; false keeps what it was (a step-up must not shorten it).</param>
    public async Task<SsoSession?> ReauthenticateAsync(Guid sessionId, Guid userId, IReadOnlyList<string> authMethods, bool persistent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(authMethods);
        var session = await db.Set<SsoSession>().SingleOrDefaultAsync(s => s.Id == sessionId && s.UserId == userId && s.EndedAt == null, ct);
        if (session is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        session.AuthenticatedAt = now;
        session.LastSeenAt = now;
        session.AuthMethods = [.. authMethods.Distinct(StringComparer.Ordinal)];
        session.IsPersistent |= persistent;
        await db.SaveChangesAsync(ct);
        db.Entry(session).State = EntityState.Detached;
        cache.Forget(sessionId);
        return session;
    }

    public Task<SsoSession?> FindActiveAsync(Guid sessionId, CancellationToken ct) =>
        db.Set<SsoSession>().AsNoTracking().Include(s => s.Participants)
            .SingleOrDefaultAsync(s => s.Id == sessionId && s.EndedAt == null, ct);

    /// <summary>The user's sessions that have not ended, newest first.</summary>
    public async Task<IReadOnlyList<SsoSession>> ListActiveForUserAsync(Guid userId, CancellationToken ct) =>
        await db.Set<SsoSession>().AsNoTracking().Include(s => s.Participants)
            .Where(s => s.UserId == userId && s.EndedAt == null)
            .OrderByDescending(s => s.CreatedAt)
            .ToListAsync(ct);

    /// <summary>Records that <paramref name="clientId"/> received a login from the session; recording it again changes nothing.</summary>
    public async Task RecordParticipantAsync(Guid sessionId, string protocol, string clientId, CancellationToken ct)
    {
        if (protocol is not (SsoProtocols.SimpleSso or SsoProtocols.Oidc))
        {
            throw new ArgumentException($"Unknown protocol '{protocol}'.", nameof(protocol));
        }

        ArgumentException.ThrowIfNullOrEmpty(clientId);
        if (clientId.Length > MaxClientIdLength)
        {
            throw new ArgumentException("Client id too long.", nameof(clientId));
        }

        if (cache.KnowsParticipant(sessionId, protocol, clientId))
        {
            return;
        }

        var participants = db.Set<SsoSessionParticipant>();
        if (await participants.AnyAsync(p => p.SessionId == sessionId && p.Protocol == protocol && p.ClientId == clientId, ct))
        {
            cache.RememberParticipant(sessionId, protocol, clientId);
            return;
        }

        var participant = new SsoSessionParticipant { SessionId = sessionId, Protocol = protocol, ClientId = clientId, FirstSeenAt = time.GetUtcNow() };
        participants.Add(participant);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.Entry(participant).State = EntityState.Detached;
            // Two requests of the same browser recorded it at once; one row is all we need.
            if (!await participants.AsNoTracking().AnyAsync(p => p.SessionId == sessionId && p.Protocol == protocol && p.ClientId == clientId, ct))
            {
                throw;
            }
        }
        finally
        {
            db.Entry(participant).State = EntityState.Detached;
        }

        cache.RememberParticipant(sessionId, protocol, clientId);
    }

    /// <summary>
    /// Ends the session and queues single-logout notifications for every participant that asked for one.
    /// The issuer in logout tokens is taken from configuration or, failing that, from the current request.
    /// Returns false if the session does not exist or had already ended (nothing is sent twice).
    /// </summary>
    public Task<bool> EndAsync(Guid sessionId, string reason, CancellationToken ct) =>
        EndAsync(sessionId, reason, issuer.Resolve(httpContextAccessor.HttpContext), ct);

    /// <inheritdoc cref="EndAsync(Guid, string, CancellationToken)"/>
    /// <param name="logoutIssuer">The <c>iss</c> of logout tokens; null sends none that need it (they are recorded as failed).</param>
    public async Task<bool> EndAsync(Guid sessionId, string reason, string? logoutIssuer, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var now = time.GetUtcNow();

        // Joins a caller's transaction when there is one, so "disable user + end sessions" is one unit.
        var ownTransaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        try
        {
            var ended = await db.Set<SsoSession>()
                .Where(s => s.Id == sessionId && s.EndedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now).SetProperty(x => x.EndReason, reason), ct);
            if (ended == 0)
            {
                return false;
            }

            var session = await db.Set<SsoSession>().AsNoTracking().Include(s => s.Participants).SingleAsync(s => s.Id == sessionId, ct);
            var deliveries = new List<LogoutDelivery>();
            string? userName = null;
            foreach (var channel in channels)
            {
                foreach (var target in await channel.PlanAsync(session, session.Participants, ct))
                {
                    userName ??= await db.Users.AsNoTracking().Where(u => u.Id == session.UserId).Select(u => u.UserName).FirstOrDefaultAsync(ct);
                    deliveries.Add(new LogoutDelivery
                    {
                        Id = Guid.NewGuid(),
                        SessionId = sessionId,
                        Channel = channel.Name,
                        ClientId = target.ClientId,
                        Endpoint = target.Endpoint,
                        Subject = session.UserId.ToString("D"),
                        SubjectName = userName,
                        Issuer = logoutIssuer,
                        CreatedAt = now,
                        NextAttemptAt = now,
                        Status = LogoutDeliveryStatus.Pending,
                    });
                }
            }

            if (deliveries.Count > 0)
            {
                db.AddRange(deliveries);
                await db.SaveChangesAsync(ct);
                foreach (var delivery in deliveries)
                {
                    db.Entry(delivery).State = EntityState.Detached;
                }
            }

            if (ownTransaction is not null)
            {
                await ownTransaction.CommitAsync(ct);
            }

            cache.Forget(sessionId);
            // Every node drops its cached "active" at once instead of within its cache lifetime.
            await clusterBus.PublishAsync(ClusterChannels.SessionEnded, sessionId.ToString("D"));
            Log.Ended(logger, sessionId, reason, deliveries.Count);
            // After the commit (audit entries are their own transaction; on SQLite one must not wait inside another).
            await audit.AppendAsync(
                new Audit.AuditRecord(Audit.AuditEvents.SessionEnded, Audit.AuditOutcome.Success)
                {
                    SubjectId = session.UserId,
                    SubjectName = userName,
                    Details = new Dictionary<string, string> { ["session_id"] = sessionId.ToString("D"), ["reason"] = reason, ["logout_notices"] = deliveries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                },
                CancellationToken.None);
            if (deliveries.Count > 0)
            {
                deliverySignal.Wake();
            }

            return true;
        }
        finally
        {
            if (ownTransaction is not null)
            {
                await ownTransaction.DisposeAsync();
            }
        }
    }

    /// <summary>Ends every active session of the user except <paramref name="exceptSessionId"/>; returns how many ended.</summary>
    public async Task<int> EndAllForUserAsync(Guid userId, string reason, Guid? exceptSessionId, CancellationToken ct)
    {
        var ids = await db.Set<SsoSession>().AsNoTracking()
            .Where(s => s.UserId == userId && s.EndedAt == null && s.Id != exceptSessionId)
            .Select(s => s.Id)
            .ToListAsync(ct);
        var logoutIssuer = issuer.Resolve(httpContextAccessor.HttpContext);
        var count = 0;
        foreach (var id in ids)
        {
            if (await EndAsync(id, reason, logoutIssuer, ct))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Front-channel logout URLs (OpenID Connect Front-Channel Logout 1.0) of the OIDC clients that took
    /// part in the session, ended or not, with <c>iss</c> and <c>sid</c> when the client asked for them.
    /// The page that ends the session renders each in an invisible iframe.
    /// </summary>
    public async Task<IReadOnlyList<Uri>> GetFrontChannelLogoutUrisAsync(Guid sessionId, string? logoutIssuer, CancellationToken ct)
    {
        var clientIds = await db.Set<SsoSessionParticipant>().AsNoTracking()
            .Where(p => p.SessionId == sessionId && p.Protocol == SsoProtocols.Oidc)
            .OrderBy(p => p.FirstSeenAt)
            .Select(p => p.ClientId)
            .ToListAsync(ct);
        var uris = new List<Uri>();
        foreach (var clientId in clientIds)
        {
            var settings = await oidcClients.FindAsync(clientId, ct);
            if (settings?.FrontChannelLogoutUri is not { } uri)
            {
                continue;
            }

            if (settings.FrontChannelLogoutSessionRequired)
            {
                if (logoutIssuer is null)
                {
                    // Without an issuer the client cannot tell whose sid this is; skipping beats misleading it.
                    continue;
                }

                uri = FrontChannelLogoutUri.WithSession(uri, logoutIssuer, SsoSessionClaimTypes.Format(sessionId));
            }

            uris.Add(uri);
        }

        return uris;
    }

    /// <summary>The issuer a logout started by the current request would put in its tokens.</summary>
    public string? CurrentIssuer => issuer.Resolve(httpContextAccessor.HttpContext);
}
