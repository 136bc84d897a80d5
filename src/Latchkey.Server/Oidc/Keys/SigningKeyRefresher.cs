using Microsoft.Extensions.Options;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>
/// Keeps the node's key ring current: re-reads the table every KeyRefreshInterval (so rotations made on
/// another node or by the CLI arrive within that time), wakes exactly when a key activates, retires or
/// expires, and rotates keys that reached KeyRotationInterval.
/// </summary>
internal sealed class SigningKeyRefresher(
    SigningKeyRing ring,
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<SigningKeyOptions> options,
    ILogger<SigningKeyRefresher> logger) : BackgroundService
{
    /// <summary>Creates the first keys (after migrations, which run first) before the server takes requests.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ring.RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.KeyRefreshInterval;
            try
            {
                await using (var scope = scopes.CreateAsyncScope())
                {
                    var store = scope.ServiceProvider.GetRequiredService<SigningKeyStore>();
                    foreach (var algorithm in await store.RotateDueAsync(stoppingToken))
                    {
                        logger.LogInformation("Rotated the {Algorithm} signing key on schedule.", algorithm);
                    }

                    await store.PurgeExpiredAsync(stoppingToken);
                }

                var snapshot = await ring.RefreshAsync(stoppingToken);
                var untilTransition = snapshot.NextTransition - time.GetUtcNow();
                if (untilTransition < wait)
                {
                    // A few milliseconds past the transition so the status has really changed when we look.
                    wait = untilTransition < TimeSpan.Zero ? TimeSpan.Zero : untilTransition + TimeSpan.FromMilliseconds(1);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A database hiccup must not stop key refreshes for the life of the process; the current keys stay in use.
                logger.LogWarning(e, "Refreshing OIDC signing keys failed; retrying.");
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
