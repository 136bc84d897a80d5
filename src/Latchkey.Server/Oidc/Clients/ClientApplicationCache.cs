using System.Collections.Concurrent;
using OpenIddict.EntityFrameworkCore.Models;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>
/// Applications found by client_id, kept for a few seconds across requests so the token endpoint does not
/// read the application row on every request (OpenIddict's own entity cache lives only for one request).
/// Entries are read-only snapshots: changes go through <see cref="LatchkeyApplicationManager"/>, which reads
/// uncached and evicts the entry on this node and, through <c>client-changed</c> on the cluster bus, on every other node;
/// without Redis other nodes see a change within <see cref="Lifetime"/>.
/// Only found applications are cached, so unknown client_ids cannot grow it.
/// </summary>
public sealed class ClientApplicationCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string clientId, out OpenIddictEntityFrameworkCoreApplication<Guid> application)
    {
        if (_entries.TryGetValue(clientId, out var entry) && entry.ExpiresAt > time.GetUtcNow())
        {
            application = entry.Application;
            return true;
        }

        application = null!;
        return false;
    }

    public void Set(string clientId, OpenIddictEntityFrameworkCoreApplication<Guid> application) =>
        _entries[clientId] = new Entry(application, time.GetUtcNow() + Lifetime);

    public void Evict(string? clientId)
    {
        if (clientId is not null)
        {
            _entries.TryRemove(clientId, out _);
        }
    }

    /// <summary>Drops every entry: after a lost cluster connection, or while it is down (so entries live about a second).</summary>
    public void Clear() => _entries.Clear();

    private sealed record Entry(OpenIddictEntityFrameworkCoreApplication<Guid> Application, DateTimeOffset ExpiresAt);
}
