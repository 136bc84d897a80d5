using System.Threading.RateLimiting;
using Latchkey.Server.Hosting;
using Latchkey.Server.Hosting.RateLimiting;
using Latchkey.Server.Scaling;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Latchkey.Server.Tests.Scaling;

/// <summary>Shared rate-limit counters against a real Redis (<c>LATCHKEY_TEST_REDIS</c>); two factories are two nodes.</summary>
public sealed class RedisRateLimitPartitionFactoryTests : IAsyncDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private readonly List<LatchkeyRedisConnection> _connections = [];
    private readonly List<PartitionedRateLimiter<string>> _limiters = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_nodes_spend_one_budget_and_the_refusal_says_when_to_retry()
    {
        var prefix = RedisTestServer.NewPrefix();
        var nodeA = await LimiterAsync(RedisTestServer.ConnectionStringOrSkip(prefix: prefix), permitLimit: 3);
        var nodeB = await LimiterAsync(RedisTestServer.ConnectionStringOrSkip(prefix: prefix), permitLimit: 3);

        Assert.True(await AcquiredAsync(nodeA, "login:account:alice"));
        Assert.True(await AcquiredAsync(nodeB, "login:account:alice"));
        Assert.True(await AcquiredAsync(nodeA, "login:account:alice"));

        using var refused = await nodeB.AcquireAsync("login:account:alice", 1, Ct);
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), Window);

        // Another account, and the same account of another deployment, have budgets of their own.
        Assert.True(await AcquiredAsync(nodeA, "login:account:bob"));
        var otherDeployment = await LimiterAsync(RedisTestServer.ConnectionStringOrSkip(), permitLimit: 3);
        Assert.True(await AcquiredAsync(otherDeployment, "login:account:alice"));
    }

    [Fact]
    public async Task Keys_in_Redis_name_neither_the_account_nor_the_address()
    {
        var prefix = RedisTestServer.NewPrefix();
        var limiter = await LimiterAsync(RedisTestServer.ConnectionStringOrSkip(prefix: prefix), permitLimit: 3);
        Assert.True(await AcquiredAsync(limiter, "login:account:carol@example.test"));

        await using var admin = await ConnectionMultiplexer.ConnectAsync(RedisTestServer.Address!);
        var keys = admin.GetServer(admin.GetEndPoints()[0]).Keys(pattern: $"*{prefix}*").Select(k => k.ToString()).ToList();
        Assert.NotEmpty(keys);
        Assert.DoesNotContain(keys, k => k.Contains("carol", StringComparison.Ordinal) || k.Contains("login", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_Redis_down_each_node_counts_on_its_own_and_nothing_throws()
    {
        var limiter = await LimiterAsync(RedisTestServer.Unreachable(), permitLimit: 2);

        Assert.True(await AcquiredAsync(limiter, "token:ip:10.0.0.1"));
        Assert.True(await AcquiredAsync(limiter, "token:ip:10.0.0.1"));
        using var refused = await limiter.AcquireAsync("token:ip:10.0.0.1", 1, Ct);
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out _));
    }

    private Task<PartitionedRateLimiter<string>> LimiterAsync(string connectionString, int permitLimit)
    {
        var connection = new LatchkeyRedisConnection(Options.Create(new LatchkeyOptions { Redis = connectionString }), NullLogger<LatchkeyRedisConnection>.Instance);
        _connections.Add(connection);
        IRateLimitPartitionFactory factory = new RedisRateLimitPartitionFactory(connection, NullLogger<RedisRateLimitPartitionFactory>.Instance);
        var limiter = PartitionedRateLimiter.Create<string, string>(key => factory.FixedWindow(key, permitLimit, Window));
        _limiters.Add(limiter);
        return Task.FromResult(limiter);
    }

    private async Task<bool> AcquiredAsync(PartitionedRateLimiter<string> limiter, string key)
    {
        // The first call after start may count locally while the connection is made; wait until Redis answers.
        foreach (var connection in _connections)
        {
            if (!connection.IsConnected && !connection.GetAsync().IsCompleted)
            {
                await connection.GetAsync();
            }
        }

        using var lease = await limiter.AcquireAsync(key, 1, Ct);
        return lease.IsAcquired;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var limiter in _limiters)
        {
            await limiter.DisposeAsync();
        }

        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }
}
