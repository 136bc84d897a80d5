using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Oidc.Keys;
using Latchkey.Server.Sessions;

namespace Latchkey.Server.Scaling;

/// <summary>
/// Connects the node's caches to the cluster bus: a session ended, a client changed or a key rotated on any
/// node (or by the CLI) is dropped or reloaded here at once. While the bus is disconnected (Redis down) the
/// caches are flushed every <see cref="DegradedRefresh"/>, so nothing is trusted for longer than that.
/// </summary>
internal sealed class ClusterCacheInvalidation(
    IClusterBus bus,
    IServiceProvider services,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<ClusterCacheInvalidation> logger) : BackgroundService
{
    /// <summary>How stale a cached entry may get while notifications cannot arrive.</summary>
    public static readonly TimeSpan DegradedRefresh = TimeSpan.FromSeconds(1);

    private readonly List<IDisposable> _subscriptions = [];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var sessions = services.GetService<SsoSessionStateCache>();
        var clients = services.GetService<ClientApplicationCache>();
        var keys = services.GetService<SigningKeyRing>();

        if (sessions is not null)
        {
            // "*" needs nothing: session entries live for a second at most anyway.
            _subscriptions.Add(bus.Subscribe(ClusterChannels.SessionEnded, message =>
            {
                if (Guid.TryParse(message, out var sessionId))
                {
                    sessions.Forget(sessionId);
                }
            }));
        }

        if (clients is not null)
        {
            _subscriptions.Add(bus.Subscribe(ClusterChannels.ClientChanged, message =>
            {
                if (message == ClusterChannels.AllEntries)
                {
                    clients.Clear();
                }
                else
                {
                    clients.Evict(message);
                }
            }));
        }

        if (keys is not null)
        {
            _subscriptions.Add(bus.Subscribe(ClusterChannels.KeysChanged, message => { _ = RefreshKeysAsync(keys); }));
        }

        if (bus is RedisClusterBus redis)
        {
            // Settings every node of a cluster must share; derived per node they break cross-node tokens and cookies.
            foreach (var key in (string[])["Latchkey:Oidc:Issuer", "Latchkey:DataProtection:MasterKey"])
            {
                if (string.IsNullOrWhiteSpace(configuration[key]))
                {
                    Log.ClusterSettingMissing(logger, key);
                }
            }

            // Listening before the first request is served, or Redis is down and we carry on degraded.
            await redis.StartListeningAsync();
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (bus is not RedisClusterBus)
        {
            return;
        }

        var clients = services.GetService<ClientApplicationCache>();
        var keys = services.GetService<SigningKeyRing>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(DegradedRefresh, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!bus.IsConnected)
            {
                clients?.Clear();
                if (keys is not null)
                {
                    await RefreshKeysAsync(keys);
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        await base.StopAsync(cancellationToken);
    }

    private async Task RefreshKeysAsync(SigningKeyRing keys)
    {
        try
        {
            await keys.RefreshAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // The periodic refresh retries; the current keys stay in use meanwhile.
            Log.KeyRefreshFailed(logger, e);
        }
    }
}
