using System.Net;
using System.Text.Json;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Oidc.Keys;
using Latchkey.Server.Scaling;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Tests.Scaling;

/// <summary>
/// Two nodes in one process on one database and one Redis. Both clocks stand still, so no cache entry ever
/// expires: whatever node B learns about a change made on node A, it learns from the cluster bus.
/// </summary>
public sealed class ClusterCacheTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private LatchkeyServerFactory _nodeA = null!;
    private LatchkeyServerFactory _nodeB = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var redis = RedisTestServer.ConnectionStringOrSkip();
        _nodeA = Node(new LatchkeyServerFactory(useFakeTime: true), redis);
        await _nodeA.CreateUserAsync("alice", Password);
        _nodeB = Node(new LatchkeyServerFactory(useFakeTime: true, sharesStorageWith: _nodeA), redis);
        _ = _nodeB.Services;
    }

    public async ValueTask DisposeAsync()
    {
        if (_nodeB is not null)
        {
            await _nodeB.DisposeAsync();
        }

        if (_nodeA is not null)
        {
            await _nodeA.DisposeAsync();
        }
    }

    [Fact]
    public async Task Both_nodes_use_the_Redis_bus_and_are_connected()
    {
        Assert.IsType<RedisClusterBus>(_nodeA.Services.GetRequiredService<IClusterBus>());
        var busB = Assert.IsType<RedisClusterBus>(_nodeB.Services.GetRequiredService<IClusterBus>());
        Assert.True(busB.IsConnected);
    }

    [Fact]
    public async Task A_session_ended_on_one_node_is_refused_by_the_other_although_its_cache_entry_has_not_expired()
    {
        var cookies = new CookieContainer();
        await _nodeA.SignInAsync("alice", Password, cookies);
        var snapshot = CopyOf(cookies);
        // Node B caches the session as active; its clock never moves, so only a notification can change that.
        Assert.Equal("Signed in as alice.", await SsoSessionTests.SignedInNameAsync(_nodeB.CreateBrowser(cookies: snapshot)));
        Assert.Equal("Signed in as alice.", await SsoSessionTests.SignedInNameAsync(_nodeB.CreateBrowser(cookies: CopyOf(snapshot))));

        var sessionId = await _nodeA.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SsoSession>()
            .Where(s => s.EndedAt == null).Select(s => s.Id).SingleAsync(Ct));
        var heardOnB = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var probe = _nodeB.Services.GetRequiredService<IClusterBus>().Subscribe(ClusterChannels.SessionEnded, id => heardOnB.TrySetResult(id));

        Assert.True(await _nodeA.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().EndAsync(sessionId, SsoSessionEndReasons.Logout, Ct)));

        // The memory cache also evicts on the real clock after a few seconds, so the refusal alone would not
        // prove the notification; the probe does, and the next test shows what a notification does to the cache.
        Assert.Equal(sessionId.ToString("D"), await heardOnB.Task.WaitAsync(Patience, Ct));
        await WaitUntilAsync(async () => await SsoSessionTests.SignedInNameAsync(_nodeB.CreateBrowser(cookies: CopyOf(snapshot))) is null);
    }

    [Fact]
    public async Task A_session_ended_notification_drops_the_cached_state_at_once()
    {
        var sessionId = Guid.NewGuid();
        var cache = _nodeB.Services.GetRequiredService<SsoSessionStateCache>();
        var now = _nodeB.Time!.GetUtcNow();
        cache.Remember(sessionId, new SsoSessionState(sessionId, Guid.NewGuid(), Active: true, CreatedAt: now, LastSeenAt: now, IsPersistent: false), now);
        Assert.NotNull(await CachedStateAsync(_nodeB, sessionId));

        // From node A, through Redis: no such session row exists, so only a dropped entry reads as null.
        await _nodeA.Services.GetRequiredService<IClusterBus>().PublishAsync(ClusterChannels.SessionEnded, sessionId.ToString("D"));

        await WaitUntilAsync(async () => await CachedStateAsync(_nodeB, sessionId) is null);
    }

    [Fact]
    public async Task A_client_removed_on_one_node_is_refused_by_the_other_although_its_cache_entry_has_not_expired()
    {
        var created = await _nodeA.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().CreateAsync(
            new ClientDefinition("machine", ClientTypes.Confidential, [], [], [ClientGrants.ClientCredentials], ["profile"]), Ct));
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(_nodeB, "machine", created.ClientSecret!)).Status);

        Assert.True(await _nodeA.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().RemoveAsync("machine", Ct)));

        await WaitUntilAsync(async () => (await ClientCredentialsAsync(_nodeB, "machine", created.ClientSecret!)).Status != HttpStatusCode.OK);
        var (_, body) = await ClientCredentialsAsync(_nodeB, "machine", created.ClientSecret!);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_key_rotated_on_one_node_is_published_by_the_other_before_its_next_scheduled_refresh()
    {
        var before = await JwksKidsAsync(_nodeB);

        var next = await _nodeA.WithScopeAsync(services => services.GetRequiredService<SigningKeyStore>().RotateAsync(SigningKeyAlgorithms.RS256, Ct));

        Assert.DoesNotContain(next.Kid, before);
        await WaitUntilAsync(async () => (await JwksKidsAsync(_nodeB)).Contains(next.Kid));
    }

    private static Task<SsoSessionState?> CachedStateAsync(LatchkeyServerFactory node, Guid sessionId) =>
        node.WithScopeAsync(services => services.GetRequiredService<SsoSessionStateCache>()
            .GetAsync(sessionId, services.GetRequiredService<LatchkeyDbContext>(), Ct));

    private static LatchkeyServerFactory Node(LatchkeyServerFactory factory, string redis) => factory
        .WithSetting("Latchkey:Redis", redis)
        .WithSetting("Latchkey:Oidc:RequireHttps", "false");

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ClientCredentialsAsync(LatchkeyServerFactory node, string clientId, string secret)
    {
        using var http = node.CreateClient();
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        }), Ct);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    private static async Task<IReadOnlyList<string>> JwksKidsAsync(LatchkeyServerFactory node)
    {
        using var http = node.CreateClient();
        return [.. new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks", Ct)).Keys.Select(k => k.Kid)];
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Patience);
        while (!await condition())
        {
            await Task.Delay(25, timeout.Token);
        }
    }

    private static CookieContainer CopyOf(CookieContainer cookies)
    {
        var copy = new CookieContainer();
        foreach (Cookie cookie in cookies.GetAllCookies())
        {
            copy.Add(cookie);
        }

        return copy;
    }
}
