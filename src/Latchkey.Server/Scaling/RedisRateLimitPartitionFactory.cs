using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Latchkey.Server.Hosting.RateLimiting;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Latchkey.Server.Scaling;

/// <summary>
/// Rate-limit counters in Redis (<c>RedisRateLimiting</c>'s fixed window), so every node spends one budget per
/// address or account. Keys are hashed: user names and addresses never reach Redis. While Redis is unreachable
/// each node counts on its own (the same budget per node, so N nodes allow up to N× for that time).
/// </summary>
public sealed class RedisRateLimitPartitionFactory(LatchkeyRedisConnection redis, ILogger<RedisRateLimitPartitionFactory> logger) : IRateLimitPartitionFactory
{
    public RateLimitPartition<string> FixedWindow(string key, int permitLimit, TimeSpan window) =>
        RateLimitPartition.Get(key, k => new SharedFixedWindowLimiter(RedisKey(k), permitLimit, window, redis, logger));

    /// <summary>The partition's name in Redis: the deployment's prefix and a hash of the key.</summary>
    public string RedisKey(string key) =>
        redis.Prefix + "latchkey:" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 18).Replace('+', '-').Replace('/', '_');
}

/// <summary>One partition's limiter: Redis while it answers, an in-process fixed window otherwise.</summary>
internal sealed class SharedFixedWindowLimiter : RateLimiter
{
    private readonly string _key;
    private readonly int _permitLimit;
    private readonly TimeSpan _window;
    private readonly LatchkeyRedisConnection _redis;
    private readonly ILogger _logger;
    private readonly FixedWindowRateLimiter _local;
    private RateLimiter? _shared;

    public SharedFixedWindowLimiter(string key, int permitLimit, TimeSpan window, LatchkeyRedisConnection redis, ILogger logger)
    {
        _key = key;
        _permitLimit = permitLimit;
        _window = window;
        _redis = redis;
        _logger = logger;
        _local = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = permitLimit,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>The fallback's idleness: a partition that counted locally during an outage is kept until its window ends.</summary>
    public override TimeSpan? IdleDuration => _local.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => null;

    /// <summary>
    /// Always "not acquired": a Redis round trip cannot happen synchronously, and ASP.NET Core's middleware
    /// then calls <see cref="AcquireAsyncCore"/>, which decides.
    /// </summary>
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => PendingLease.Instance;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            // Down, or still connecting (the first requests after start): count here rather than wait.
            _redis.EnsureConnecting();
            return _local.AttemptAcquire(permitCount);
        }

        try
        {
            _shared ??= await CreateSharedAsync();
            var lease = await _shared.AcquireAsync(permitCount, cancellationToken);
            return new SharedLease(lease);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            Log.RateLimitFallback(_logger, e.GetType().Name);
            return _local.AttemptAcquire(permitCount);
        }
    }

    private async Task<RateLimiter> CreateSharedAsync()
    {
        var multiplexer = await _redis.GetAsync();
        return new RedisFixedWindowRateLimiter<string>(_key, new RedisFixedWindowRateLimiterOptions
        {
            PermitLimit = _permitLimit,
            Window = _window,
            ConnectionMultiplexerFactory = () => multiplexer,
        });
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _local.Dispose();
            _shared?.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class PendingLease : RateLimitLease
    {
        public static readonly PendingLease Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    /// <summary>
    /// RedisRateLimiting reports Retry-After under its own name (<c>RATELIMIT_RETRYAFTER</c>) as whole seconds;
    /// the rejection handler reads the standard <see cref="MetadataName.RetryAfter"/>, a <see cref="TimeSpan"/>.
    /// </summary>
    private sealed class SharedLease(RateLimitLease inner) : RateLimitLease
    {
        private const string LibraryRetryAfter = "RATELIMIT_RETRYAFTER";

        public override bool IsAcquired => inner.IsAcquired;

        public override IEnumerable<string> MetadataNames => inner.MetadataNames.Append(MetadataName.RetryAfter.Name).Distinct();

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (metadataName == MetadataName.RetryAfter.Name)
            {
                if (inner.TryGetMetadata(LibraryRetryAfter, out var raw) && raw is IConvertible seconds)
                {
                    metadata = TimeSpan.FromSeconds(Math.Max(1, seconds.ToInt64(System.Globalization.CultureInfo.InvariantCulture)));
                    return true;
                }

                return inner.TryGetMetadata(metadataName, out metadata);
            }

            return inner.TryGetMetadata(metadataName, out metadata);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
