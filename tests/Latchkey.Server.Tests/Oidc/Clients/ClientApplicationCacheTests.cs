using System.Net;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;
using static Latchkey.Server.Tests.Oidc.Clients.OidcClientsTestKit;

namespace Latchkey.Server.Tests.Oidc.Clients;

public sealed class ClientApplicationCacheTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new(useFakeTime: true);

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task A_change_made_by_another_node_applies_here_once_the_cache_entry_expires()
    {
        var created = await AddMachineClientAsync(_host, "machine");
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(_host, "machine", created.ClientSecret!)).Status);

        // Another node (or the CLI) rotates the secret: straight to the shared database, no eviction here.
        var replacement = ClientSecretHash.NewSecret();
        await _host.Factory.WithScopeAsync(async services =>
        {
            var pepper = await services.GetRequiredService<ClientSecretPepper>().GetAsync(CancellationToken.None);
            var db = services.GetRequiredService<LatchkeyDbContext>();
            var row = await db.Set<OpenIddictEntityFrameworkCoreApplication<Guid>>().SingleAsync(a => a.ClientId == "machine");
            row.ClientSecret = ClientSecretHash.Compute(pepper, replacement);
            row.ConcurrencyToken = Guid.NewGuid().ToString();
            await db.SaveChangesAsync();
        });

        // Served from this node's cache for at most ClientApplicationCache.Lifetime...
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(_host, "machine", created.ClientSecret!)).Status);

        // ...then the new secret works and the old one does not.
        _host.Factory.Time!.Advance(ClientApplicationCache.Lifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(_host, "machine", replacement)).Status);
        var (status, body) = await ClientCredentialsAsync(_host, "machine", created.ClientSecret!);
        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Changes_made_through_this_node_apply_at_once()
    {
        var created = await AddMachineClientAsync(_host, "machine");
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(_host, "machine", created.ClientSecret!)).Status);

        var removed = await _host.Factory.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().RemoveAsync("machine", CancellationToken.None));
        Assert.True(removed);

        var (status, body) = await ClientCredentialsAsync(_host, "machine", created.ClientSecret!);
        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }
}
