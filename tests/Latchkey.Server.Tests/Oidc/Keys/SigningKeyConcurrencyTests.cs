using Latchkey.Server.Oidc.Keys;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Oidc.Keys;

/// <summary>
/// Nodes that start together create one first key per algorithm, and nodes whose rotation schedules fire together rotate
/// once: key changes are serialised by a database lock (SQLite's write lock, a PostgreSQL advisory lock).
/// Each "node" here is its own scope with its own context and connection, as in separate processes.
/// </summary>
public sealed class SigningKeyConcurrencyTests
{
    private const int Nodes = 4;

    private static Task<List<SigningKey>> RowsAsync(LatchkeyServerFactory factory) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SigningKey>().AsNoTracking().ToListAsync());

    private static Task<T[]> OnEveryNodeAsync<T>(LatchkeyServerFactory factory, Func<SigningKeyStore, Task<T>> action) =>
        Task.WhenAll(Enumerable.Range(0, Nodes).Select(_ => Task.Run(() =>
            factory.WithScopeAsync(services => action(services.GetRequiredService<SigningKeyStore>())))));

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Nodes_starting_together_create_one_key_per_algorithm(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage).WithSetting("Latchkey:Oidc:RequireHttps", "false");
        _ = factory.Server;
        await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SigningKey>().ExecuteDeleteAsync());

        var created = await OnEveryNodeAsync(factory, store => store.EnsureKeysAsync(CancellationToken.None));

        Assert.Single(created, c => c);
        var rows = await RowsAsync(factory);
        Assert.Equal(
            [SigningKeyAlgorithms.A256KW, SigningKeyAlgorithms.ES256, SigningKeyAlgorithms.RS256],
            rows.Select(k => k.Algorithm).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Schedules_firing_together_rotate_once(LatchkeyTestStorage storage)
    {
        // The schedule is off in the app (so its own timer does not race this test); each call passes the interval.
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true)
            .WithSetting("Latchkey:Oidc:RequireHttps", "false")
            .WithSetting("Latchkey:Oidc:KeyRotationInterval", "00:00:00");
        _ = factory.Server;
        var before = await RowsAsync(factory);
        factory.Time!.Advance(TimeSpan.FromDays(2));

        var rotated = await OnEveryNodeAsync(factory, store => store.RotateDueAsync(TimeSpan.FromDays(1), CancellationToken.None));

        Assert.Equal(2, rotated.Sum(r => r.Count)); // RS256 and ES256, by one node (or split), never twice
        var rows = await RowsAsync(factory);
        Assert.Equal(before.Count + 3, rows.Count); // a next RS256, ES256 and the encryption key that rotates with RS256
    }
}
