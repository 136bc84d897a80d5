namespace Latchkey.Server.Scaling;

/// <summary>
/// Tells every node of the cluster that something it may have cached changed. Messages are hints for
/// dropping cache entries, never data: a node that misses one still converges through its caches' lifetimes.
/// The publishing node's own handlers run before <see cref="PublishAsync"/> returns, whether or not Redis is up.
/// </summary>
public interface IClusterBus
{
    /// <summary>Sends <paramref name="message"/> (e.g. a session id) on <paramref name="channel"/> (see <see cref="ClusterChannels"/>) to every node, this one included. Never throws for a transport failure: it is logged.</summary>
    Task PublishAsync(string channel, string message);

    /// <summary>
    /// Calls <paramref name="handler"/> for each message on <paramref name="channel"/>, from any node, until the result is disposed.
    /// A message of <see cref="ClusterChannels.AllEntries"/> means "drop everything you cached for this channel"
    /// (sent after a Redis reconnect, when messages may have been lost). Handlers must be quick and must not throw.
    /// </summary>
    IDisposable Subscribe(string channel, Action<string> handler);

    /// <summary>
    /// False while messages from other nodes may be missed (Redis configured but unreachable): caches then
    /// trust entries only for a short time. Always true for the single-node in-process bus.
    /// </summary>
    bool IsConnected => true;
}
