using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.SimpleSso.SimpleSsoServerFixture;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary>
/// What the simple-sso endpoints remember between requests (decrypted private keys, apps already recorded as
/// session participants) never stands in for the database: a key pair removed or cut off by another process,
/// such as the CLI on a node without a cluster bus, is refused on the very next request.
/// </summary>
public abstract class SimpleSsoFreshnessTests(SimpleSsoServerFixture server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_pair_deleted_behind_the_servers_back_is_refused_on_the_next_request()
    {
        var keys = await server.NewConsumerAsync();
        using var used = await server.Wire().RequestTokenAsync(keys, RedirectTo, server.Now);
        Assert.Equal(System.Net.HttpStatusCode.OK, used.StatusCode);

        await server.Factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().ConsumerKeys
            .Where(k => k.PublicKey == keys.PublicKey).ExecuteDeleteAsync(Ct));

        using var response = await server.Wire().RequestTokenAsync(keys, RedirectTo, server.Now);
        await AssertRefusedAsync(response, SimpleSsoError.InvalidPublicKey);
    }

    [Fact]
    public async Task A_pair_cut_off_behind_the_servers_back_is_refused_on_the_next_verify()
    {
        var keys = await server.NewConsumerAsync();
        var user = await server.NewUserAsync();
        using var browser = await server.SignedInBrowserAsync(user);
        var accessToken = await server.AccessTokenAsync(keys, browser);

        await server.Factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().ConsumerKeys
            .Where(k => k.PublicKey == keys.PublicKey)
            .ExecuteUpdateAsync(set => set.SetProperty(k => k.ExpiresAt, server.Now), Ct));

        using var response = await server.Wire().VerifyAsync(keys, accessToken, server.Now);
        await AssertRefusedAsync(response, SimpleSsoError.InvalidPublicKey);
    }

    [Fact]
    public async Task Each_session_records_the_app_once_and_a_new_session_records_it_again()
    {
        var consumer = await server.Factory.CreateConsumerAsync("p-" + Guid.NewGuid().ToString("N"), Origin);
        var keys = new SsoKeys(consumer.PublicKey, consumer.PrivateKey);
        var user = await server.NewUserAsync();

        using var first = await server.SignedInBrowserAsync(user);
        await server.AccessTokenAsync(keys, first);
        await server.AccessTokenAsync(keys, first);
        Assert.Equal(1, await ParticipantRowsAsync(consumer.Name));

        using var second = await server.SignedInBrowserAsync(user);
        await server.AccessTokenAsync(keys, second);
        Assert.Equal(2, await ParticipantRowsAsync(consumer.Name));
    }

    private Task<int> ParticipantRowsAsync(string consumerName) =>
        server.Factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<SsoSessionParticipant>()
            .CountAsync(p => p.Protocol == SsoProtocols.SimpleSso && p.ClientId == consumerName, Ct));
}

public sealed class SimpleSsoFreshnessTestsOnSqlite(SqliteSimpleSsoServer server) : SimpleSsoFreshnessTests(server), IClassFixture<SqliteSimpleSsoServer>;

public sealed class SimpleSsoFreshnessTestsOnPostgreSql(PostgreSqlSimpleSsoServer server) : SimpleSsoFreshnessTests(server), IClassFixture<PostgreSqlSimpleSsoServer>;
