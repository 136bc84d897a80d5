using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Sessions;

/// <summary>
/// Sends queued <see cref="LogoutDelivery"/> rows: at once when a session on this node ends, otherwise
/// every <see cref="PollInterval"/>. A failed attempt is retried after <see cref="SsoSessionRegistry.RetryDelays"/>;
/// after the last one the row is marked failed. Every node may run this: a row is claimed with a
/// conditional update before it is sent, so one notification goes out once per attempt.
/// </summary>
public sealed class LogoutDeliveryWorker(
    IServiceScopeFactory scopes,
    LogoutDeliverySignal signal,
    TimeProvider time,
    ILogger<LogoutDeliveryWorker> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed row is left alone by other nodes; longer than one attempt can take.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(1);

    private const int BatchSize = 32;
    private const int Parallelism = 8;
    private const int MaxErrorLength = 512;

    /// <summary>Sends every delivery that is due now; returns how many were attempted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var attempted = 0;
        while (true)
        {
            IReadOnlyList<Guid> due;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var now = time.GetUtcNow();
                due = await scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>().Set<LogoutDelivery>().AsNoTracking()
                    .Where(d => d.Status == LogoutDeliveryStatus.Pending && d.NextAttemptAt <= now)
                    .OrderBy(d => d.NextAttemptAt)
                    .Select(d => d.Id)
                    .Take(BatchSize)
                    .ToListAsync(ct);
            }

            if (due.Count == 0)
            {
                return attempted;
            }

            var results = new bool[due.Count];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, due.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
                async (index, token) => results[index] = await AttemptAsync(due[index], token));
            attempted += results.Count(r => r);
            if (due.Count < BatchSize || !results.Any(r => r))
            {
                return attempted;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // A busy or briefly unreachable database must not stop the host; the next poll retries.
                    Log.PassFailed(logger, exception);
                }

                await signal.WaitAsync(PollInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> AttemptAsync(Guid deliveryId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var deliveries = db.Set<LogoutDelivery>();
        var now = time.GetUtcNow();
        var delivery = await deliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (delivery is null || delivery.Status != LogoutDeliveryStatus.Pending || delivery.NextAttemptAt > now)
        {
            return false;
        }

        // Claim: only the node whose update matches the row as it read it sends this attempt.
        var claimed = await deliveries
            .Where(d => d.Id == deliveryId && d.Status == LogoutDeliveryStatus.Pending && d.Attempts == delivery.Attempts && d.NextAttemptAt == delivery.NextAttemptAt)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now + ClaimLease), ct);
        if (claimed != 1)
        {
            return false;
        }

        var channel = scope.ServiceProvider.GetServices<ISingleLogoutChannel>().FirstOrDefault(c => c.Name == delivery.Channel);
        LogoutDeliveryResult result;
        try
        {
            result = channel is null
                ? LogoutDeliveryResult.PermanentFailure($"no channel named '{delivery.Channel}' in this server")
                : await channel.DeliverAsync(delivery, ct);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            result = LogoutDeliveryResult.TransientFailure("unexpected " + exception.GetType().Name);
        }

        var attempts = delivery.Attempts + 1;
        var finishedAt = time.GetUtcNow();
        if (result.Delivered)
        {
            await deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(
                s => s.SetProperty(d => d.Attempts, attempts)
                    .SetProperty(d => d.Status, LogoutDeliveryStatus.Delivered)
                    .SetProperty(d => d.CompletedAt, finishedAt)
                    .SetProperty(d => d.LastError, (string?)null),
                CancellationToken.None);
            Log.Delivered(logger, deliveryId, delivery.Channel, delivery.ClientId);
            return true;
        }

        var error = Truncate(result.Error ?? "failed");
        var retryDelays = SsoSessionRegistry.RetryDelays;
        var givesUp = !result.Retry || attempts > retryDelays.Count;
        if (givesUp)
        {
            await deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(
                s => s.SetProperty(d => d.Attempts, attempts)
                    .SetProperty(d => d.Status, LogoutDeliveryStatus.Failed)
                    .SetProperty(d => d.CompletedAt, finishedAt)
                    .SetProperty(d => d.LastError, error),
                CancellationToken.None);
        }
        else
        {
            var next = finishedAt + retryDelays[attempts - 1];
            await deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(
                s => s.SetProperty(d => d.Attempts, attempts)
                    .SetProperty(d => d.NextAttemptAt, next)
                    .SetProperty(d => d.LastError, error),
                CancellationToken.None);
        }

        Log.DeliveryFailed(logger, deliveryId, delivery.Channel, delivery.ClientId, attempts, error, givesUp ? "gave up" : "will retry");
        return true;
    }

    private static string Truncate(string error) => error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];
}
