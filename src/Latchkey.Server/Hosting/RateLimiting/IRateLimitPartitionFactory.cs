using System.Threading.RateLimiting;

namespace Latchkey.Server.Hosting.RateLimiting;

/// <summary>
/// Creates the limiter partitions behind Latchkey's rate-limit policies. The default keeps counters in this process;
/// a cluster registers a shared (Redis) implementation so every node counts against the same budget.
/// </summary>
public interface IRateLimitPartitionFactory
{
    /// <summary>At most <paramref name="permitLimit"/> requests per <paramref name="window"/> for <paramref name="key"/>; no queueing.</summary>
    RateLimitPartition<string> FixedWindow(string key, int permitLimit, TimeSpan window);
}

/// <summary>Counters in this process only (single node).</summary>
public sealed class InMemoryRateLimitPartitionFactory : IRateLimitPartitionFactory
{
    public RateLimitPartition<string> FixedWindow(string key, int permitLimit, TimeSpan window) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permitLimit,
            Window = window,
            // A queued login attempt is still an attempt; waiting only holds a connection open for the attacker.
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
