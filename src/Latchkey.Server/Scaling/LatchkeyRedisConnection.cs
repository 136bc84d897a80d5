using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Latchkey.Server.Scaling;

/// <summary>
/// The node's one Redis connection (<c>Latchkey:Redis</c>), opened on first use. A Redis that is down, at
/// startup or later, never stops the node: the connection retries in the background, commands fail fast
/// instead of queueing, and the outage and the recovery are each logged once.
/// </summary>
public sealed class LatchkeyRedisConnection : IAsyncDisposable, IDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly ILogger<LatchkeyRedisConnection> _logger;
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private int _down;

    public LatchkeyRedisConnection(IOptions<LatchkeyOptions> options, ILogger<LatchkeyRedisConnection> logger)
    {
        var value = options.Value.Redis;
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException("Latchkey:Redis is not configured.");
        }

        _configuration = Configure(value);
        _logger = logger;
        _connection = new Lazy<Task<ConnectionMultiplexer>>(ConnectAsync);
    }

    /// <summary>Prefix for every key and channel, from <c>channelPrefix=</c> in the connection string, so deployments can share one Redis.</summary>
    public string Prefix => _configuration.ChannelPrefix.ToString() ?? "";

    /// <summary>True once connected and while the connection holds.</summary>
    public bool IsConnected => _connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully && _connection.Value.Result.IsConnected;

    /// <summary>Starts connecting in the background if nothing has yet.</summary>
    public void EnsureConnecting() => _ = _connection.Value;

    /// <summary>The multiplexer; connected if Redis was reachable within the connect timeout, otherwise still retrying.</summary>
    public Task<ConnectionMultiplexer> GetAsync() => _connection.Value;

    /// <summary>Parses <c>Latchkey:Redis</c> with the settings a node needs; throws <see cref="ArgumentException"/> for a malformed value.</summary>
    public static ConfigurationOptions Configure(string connectionString)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException("no host:port in it");
        }

        // Keep retrying in the background instead of failing startup, and fail a command at once while
        // disconnected instead of queueing it: a request must never wait seconds for an optional store.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "latchkey";
        return configuration;
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration);
        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (Interlocked.Exchange(ref _down, 1) == 0)
            {
                Log.RedisLost(_logger, e.Exception, e.EndPoint?.ToString(), e.FailureType.ToString());
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (multiplexer.IsConnected && Interlocked.Exchange(ref _down, 0) == 1)
            {
                Log.RedisRestored(_logger, e.EndPoint?.ToString());
            }
        };
        if (!multiplexer.IsConnected && Interlocked.Exchange(ref _down, 1) == 0)
        {
            Log.RedisUnreachable(_logger, string.Join(",", _configuration.EndPoints.Select(e => e.ToString())));
        }

        return multiplexer;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            try
            {
                var multiplexer = await _connection.Value;
                await multiplexer.CloseAsync(allowCommandsToComplete: true);
                await multiplexer.DisposeAsync();
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
                // Shutting down: nothing left to tell anyone.
            }
        }
    }

    /// <summary>For hosts disposed synchronously (CLI commands): same as <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
