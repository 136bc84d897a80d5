using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Latchkey.Server.Telemetry;

/// <summary>Ready = the database answers and its schema is current (no pending migrations).</summary>
internal sealed class DatabaseReadyHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("database unreachable");
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            return pending == 0
                ? HealthCheckResult.Healthy("database reachable, schema current")
                : HealthCheckResult.Unhealthy($"{pending} pending migration(s)");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            // No exception text: it may name hosts or users; the server log has it.
            return HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}
