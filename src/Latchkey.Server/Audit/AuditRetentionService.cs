using Microsoft.Extensions.Options;

namespace Latchkey.Server.Audit;

/// <summary>Runs <see cref="AuditArchiver"/> every <see cref="AuditOptions.RetentionInterval"/> when <see cref="AuditOptions.Retention"/> is set.</summary>
internal sealed partial class AuditRetentionService(IServiceScopeFactory scopes, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Retention is not { } retention)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(retention, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Retention must never take the server down; the next run tries again.
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task RunOnceAsync(TimeSpan retention, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var archiver = scope.ServiceProvider.GetRequiredService<AuditArchiver>();
        while (await archiver.ArchiveOlderThanAsync(time.GetUtcNow() - retention, ct) is { } archived)
        {
            LogArchived(logger, archived.FirstSequence, archived.LastSequence, archived.FilePath);
        }
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Archived audit entries {First}..{Last} to {Path}.")]
    private static partial void LogArchived(ILogger logger, long first, long last, string path);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Error, Message = "Audit retention failed.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
