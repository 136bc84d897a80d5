using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// Deletes simple-sso token rows some time after they expire, used or not. django-simple-sso never
/// cleaned its table (§9 weakness 12); here a dead row lives at most one sweep interval plus a minute.
/// </summary>
public sealed class ExpiredTokenSweeper(IServiceScopeFactory scopes, SimpleSsoSettings settings, TimeProvider time, ILogger<ExpiredTokenSweeper> logger) : BackgroundService
{
    /// <summary>Rows linger this long past expiry so a request in flight at the deadline still gets "Token timed out", not "not found".</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    /// <summary>Deletes every token that expired more than <see cref="Grace"/> ago; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var cutOff = time.GetUtcNow() - Grace;
        var count = await db.SimpleSsoTokens.Where(t => t.ExpiresAt < cutOff).ExecuteDeleteAsync(ct);
        Log.Swept(logger, count);
        return count;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicSweep.RunAsync(settings.SweepInterval, time, ct => SweepAsync(ct), exception => Log.SweepFailed(logger, exception), stoppingToken);
}
