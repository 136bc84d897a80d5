namespace Latchkey.Server.Scaling;

/// <summary>
/// The single-node bus (no <c>Latchkey:Redis</c>): messages reach this process's handlers only. Other
/// processes on the same database (a second node, the CLI) are seen through cache lifetimes instead.
/// </summary>
public sealed class InProcessClusterBus(ILogger<InProcessClusterBus> logger) : IClusterBus
{
    private readonly ClusterSubscriptions _subscriptions = new(logger);

    public Task PublishAsync(string channel, string message)
    {
        if (!ClusterChannels.IsValidName(channel))
        {
            throw new ArgumentException($"Invalid cluster channel name '{channel}'.", nameof(channel));
        }

        ArgumentNullException.ThrowIfNull(message);
        _subscriptions.Deliver(channel, message);
        return Task.CompletedTask;
    }

    public IDisposable Subscribe(string channel, Action<string> handler) => _subscriptions.Add(channel, handler);
}
