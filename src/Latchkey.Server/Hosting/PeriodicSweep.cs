namespace Latchkey.Server.Hosting;

/// <summary>The loop behind Latchkey's background sweepers: run <c>sweep</c> on every tick until the host stops.</summary>
internal static class PeriodicSweep
{
    /// <summary>
    /// Waits <paramref name="interval"/> (on <paramref name="time"/>, so tests can move it), sweeps, and repeats. A failed sweep is
    /// reported to <paramref name="onFailure"/> and retried at the next tick: a busy or briefly unreachable database must not stop the host.
    /// </summary>
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> sweep, Action<Exception> onFailure, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await sweep(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    onFailure(exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
