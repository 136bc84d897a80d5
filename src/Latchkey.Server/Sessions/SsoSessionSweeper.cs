using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Sessions;

/// <summary>What one sweep did.</summary>
public sealed record SessionSweepResult(int TimedOut, int SessionsDeleted, int DeliveriesDeleted);

/// <summary>
/// Every <see cref="SessionLifetimeOptions.SweepInterval"/>: ends sessions that timed out without a request
/// (so their apps are told, not only the next request refused), then deletes sessions that ended, and logout
/// deliveries that finished, longer than <see cref="SessionLifetimeOptions.Retention"/> ago. Safe on several
/// nodes at once: ending is idempotent and deletes are conditional.
/// </summary>
public sealed class SsoSessionSweeper(
    IServiceScopeFactory scopes,
    IOptions<SessionLifetimeOptions> options,
    TimeProvider time,
    ILogger<SsoSessionSweeper> logger) : BackgroundService
{
    private const int BatchSize = 200;

    public async Task<SessionSweepResult> SweepAsync(CancellationToken ct)
    {
        var lifetimes = options.Value;
        var now = time.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var registry = scope.ServiceProvider.GetRequiredService<SsoSessionRegistry>();

        var createdBefore = now - lifetimes.AbsoluteLifetimeFor(false);
        var seenBefore = now - lifetimes.IdleTimeoutFor(false);
        var persistentCreatedBefore = now - lifetimes.AbsoluteLifetimeFor(true);
        var persistentSeenBefore = now - lifetimes.IdleTimeoutFor(true);
        var timedOut = 0;
        while (true)
        {
            var due = await db.Set<SsoSession>().AsNoTracking()
                .Where(s => s.EndedAt == null && (s.IsPersistent
                    ? s.CreatedAt <= persistentCreatedBefore || s.LastSeenAt <= persistentSeenBefore
                    : s.CreatedAt <= createdBefore || s.LastSeenAt <= seenBefore))
                .Select(s => new { s.Id, s.CreatedAt, s.LastSeenAt, s.IsPersistent })
                .Take(BatchSize)
                .ToListAsync(ct);
            foreach (var session in due)
            {
                var reason = lifetimes.ExpiryReason(session.CreatedAt, session.LastSeenAt, session.IsPersistent, now) ?? SsoSessionEndReasons.Expired;
                if (await registry.EndAsync(session.Id, reason, ct))
                {
                    timedOut++;
                }
            }

            if (due.Count < BatchSize)
            {
                break;
            }
        }

        var keepAfter = now - lifetimes.Retention;
        var sessionsDeleted = await db.Set<SsoSession>().Where(s => s.EndedAt != null && s.EndedAt <= keepAfter).ExecuteDeleteAsync(ct);
        var deliveriesDeleted = await db.Set<LogoutDelivery>()
            .Where(d => d.Status != LogoutDeliveryStatus.Pending && d.CompletedAt != null && d.CompletedAt <= keepAfter)
            .ExecuteDeleteAsync(ct);
        var result = new SessionSweepResult(timedOut, sessionsDeleted, deliveriesDeleted);
        if (timedOut + sessionsDeleted + deliveriesDeleted > 0)
        {
            Log.Swept(logger, timedOut, sessionsDeleted, deliveriesDeleted);
        }

        return result;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicSweep.RunAsync(options.Value.SweepInterval, time, ct => SweepAsync(ct), exception => Log.SweepFailed(logger, exception), stoppingToken);
}
