using StackExchange.Redis;

namespace Latchkey.Server.Scaling;

/// <summary>
/// Cluster notifications over Redis pub/sub. All channels travel on one Redis channel, framed as
/// <c>node|channel|message</c>: one subscription to restore after a reconnect, and a node skips its own
/// frames because it already ran its handlers when publishing. Pub/sub is at-most-once, so after a lost
/// connection comes back every handler gets <see cref="ClusterChannels.AllEntries"/>.
/// </summary>
public sealed class RedisClusterBus : IClusterBus
{
    private const string WireChannelName = "latchkey:cluster";

    private readonly LatchkeyRedisConnection _redis;
    private readonly ILogger<RedisClusterBus> _logger;
    private readonly ClusterSubscriptions _subscriptions;
    private readonly string _nodeId = Guid.NewGuid().ToString("N");
    private readonly SemaphoreSlim _listenLock = new(1, 1);
    private volatile bool _listening;
    private ConnectionMultiplexer? _multiplexer;

    public RedisClusterBus(LatchkeyRedisConnection redis, ILogger<RedisClusterBus> logger)
    {
        _redis = redis;
        _logger = logger;
        _subscriptions = new ClusterSubscriptions(logger);
    }

    private static RedisChannel WireChannel => RedisChannel.Literal(WireChannelName);

    public bool IsConnected =>
        _listening && _multiplexer is { IsConnected: true } multiplexer && multiplexer.GetSubscriber().IsConnected(WireChannel);

    public async Task PublishAsync(string channel, string message)
    {
        if (!ClusterChannels.IsValidName(channel))
        {
            throw new ArgumentException($"Invalid cluster channel name '{channel}'.", nameof(channel));
        }

        ArgumentNullException.ThrowIfNull(message);
        _subscriptions.Deliver(channel, message);
        try
        {
            var multiplexer = await _redis.GetAsync();
            await multiplexer.GetSubscriber().PublishAsync(WireChannel, $"{_nodeId}|{channel}|{message}");
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The other nodes drop everything when their connection comes back, and meanwhile trust their caches only briefly.
            Log.PublishFailed(_logger, channel, e.GetType().Name);
        }
    }

    public IDisposable Subscribe(string channel, Action<string> handler)
    {
        var subscription = _subscriptions.Add(channel, handler);
        _ = StartListeningAsync();
        return subscription;
    }

    /// <summary>Subscribes to Redis (once); completes when listening or when Redis is unreachable (it is retried on reconnect).</summary>
    public async Task StartListeningAsync()
    {
        if (_listening)
        {
            return;
        }

        await _listenLock.WaitAsync();
        try
        {
            if (_listening)
            {
                return;
            }

            if (_multiplexer is null)
            {
                _multiplexer = await _redis.GetAsync();
                _multiplexer.ConnectionRestored += (_, _) => _ = OnRestoredAsync();
            }

            await _multiplexer.GetSubscriber().SubscribeAsync(WireChannel, (_, value) => OnFrame(value));
            _listening = true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Log.SubscribeFailed(_logger, e.GetType().Name);
        }
        finally
        {
            _listenLock.Release();
        }
    }

    private async Task OnRestoredAsync()
    {
        await StartListeningAsync();

        // Messages published while any of our connections was down may be gone for good. (The failure and
        // restore events arrive on the thread pool in no guaranteed order, so every restore counts.)
        _subscriptions.DeliverToAll(ClusterChannels.AllEntries);
    }

    private void OnFrame(RedisValue value)
    {
        var frame = (string?)value;
        if (frame is null)
        {
            return;
        }

        var first = frame.IndexOf('|', StringComparison.Ordinal);
        var second = first < 0 ? -1 : frame.IndexOf('|', first + 1);
        if (second < 0)
        {
            return;
        }

        if (frame.AsSpan(0, first).SequenceEqual(_nodeId))
        {
            return;
        }

        var channel = frame[(first + 1)..second];
        if (ClusterChannels.IsValidName(channel))
        {
            _subscriptions.Deliver(channel, frame[(second + 1)..]);
        }
    }
}
