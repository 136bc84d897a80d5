using System.Collections.Immutable;

namespace Latchkey.Server.Scaling;

/// <summary>This node's handlers per channel, and calling them safely; shared by both bus implementations.</summary>
internal sealed class ClusterSubscriptions(ILogger logger)
{
    private ImmutableDictionary<string, ImmutableList<Action<string>>> _handlers =
        ImmutableDictionary.Create<string, ImmutableList<Action<string>>>(StringComparer.Ordinal);

    public IDisposable Add(string channel, Action<string> handler)
    {
        if (!ClusterChannels.IsValidName(channel))
        {
            throw new ArgumentException($"Invalid cluster channel name '{channel}'.", nameof(channel));
        }

        ArgumentNullException.ThrowIfNull(handler);
        ImmutableInterlocked.AddOrUpdate(ref _handlers, channel, _ => [handler], (_, list) => list.Add(handler));
        return new Subscription(this, channel, handler);
    }

    public void Deliver(string channel, string message)
    {
        if (!_handlers.TryGetValue(channel, out var handlers))
        {
            return;
        }

        foreach (var handler in handlers)
        {
            try
            {
                handler(message);
            }
            catch (Exception e)
            {
                // One broken handler must not keep the others (or the publisher) from their message.
                Log.HandlerFailed(logger, e, channel);
            }
        }
    }

    public void DeliverToAll(string message)
    {
        foreach (var channel in _handlers.Keys)
        {
            Deliver(channel, message);
        }
    }

    private void Remove(string channel, Action<string> handler) =>
        ImmutableInterlocked.AddOrUpdate(ref _handlers, channel, _ => [], (_, list) => list.Remove(handler));

    private sealed class Subscription(ClusterSubscriptions owner, string channel, Action<string> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(channel, handler);
            }
        }
    }
}
