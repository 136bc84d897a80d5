namespace Latchkey.Server.Sessions;

/// <summary>Wakes <see cref="LogoutDeliveryWorker"/> when a session on this node queued notifications, so they go out now rather than at the next poll.</summary>
public sealed class LogoutDeliverySignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake-pending; one wake-up covers every queued row.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        // The semaphore's own timeout runs on the wall clock; the poll interval must follow the injected clock.
        return WaitCoreAsync(timeout, time, ct);
    }

    private async Task<bool> WaitCoreAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var woken = _signal.WaitAsync(cancel.Token);
        var elapsed = Task.Delay(timeout, time, cancel.Token);
        var first = await Task.WhenAny(woken, elapsed);
        await cancel.CancelAsync();
        ct.ThrowIfCancellationRequested();
        // If the wait finished it took the count; if it was cancelled it did not.
        return first == woken && woken.IsCompletedSuccessfully;
    }
}
