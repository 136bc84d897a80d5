using System.Net;
using Latchkey.Server.Oidc;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>Spent token and authorization rows are deleted once they are older than the refresh-token lifetime; live ones never.</summary>
public sealed class OidcStorePrunerTests
{
    private static Task<(long Tokens, long Authorizations)> CountAsync(OidcTestHost host) =>
        host.Factory.WithScopeAsync(async services => (
            await services.GetRequiredService<IOpenIddictTokenManager>().CountAsync(CancellationToken.None),
            await services.GetRequiredService<IOpenIddictAuthorizationManager>().CountAsync(CancellationToken.None)));

    private static Task<OidcPruneResult> PruneAsync(OidcTestHost host) =>
        host.Factory.Services.GetRequiredService<OidcStorePruner>().PruneAsync(CancellationToken.None);

    [Fact]
    public async Task Spent_rows_go_once_older_than_the_refresh_token_lifetime_and_live_ones_stay()
    {
        await using var host = await new OidcTestHost(useFakeTime: true).StartAsync();
        var client = await host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await host.GetCodeAsync(await host.SignInAsync(), client, pkce);
        var (status, body) = await host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var refresh = body.GetProperty("refresh_token").GetString()!;
        var before = await CountAsync(host);
        Assert.True(before.Tokens >= 2, $"expected the code and token rows, found {before.Tokens}");

        // The redeemed code is spent, but young: kept (investigations; reuse detection).
        Assert.Equal(new OidcPruneResult(0, 0), await PruneAsync(host));
        Assert.Equal(before, await CountAsync(host));

        // Past the refresh-token lifetime (14 days) every row of this grant is expired or redeemed: all go (moving the clock
        // also fires the hourly background prune, so the end state is asserted, not who deleted what).
        host.Factory.Time!.Advance(TimeSpan.FromDays(15));
        await PruneAsync(host);

        Assert.Equal((0L, 0L), await CountAsync(host));
        Assert.Equal(HttpStatusCode.BadRequest, (await host.RefreshAsync(client, refresh)).Status);
    }

    [Fact]
    public async Task A_redeemed_refresh_token_keeps_its_row_for_the_refresh_lifetime_so_replaying_it_still_revokes_the_grant()
    {
        await using var host = new OidcTestHost(useFakeTime: true);
        host.Factory.WithSetting("Latchkey:Oidc:RefreshTokenLifetime", "60.00:00:00").WithSetting("Latchkey:Oidc:PruneAfter", "1.00:00:00");
        await host.StartAsync();
        var client = await host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await host.GetCodeAsync(await host.SignInAsync(), client, pkce);
        var (_, body) = await host.RedeemCodeAsync(client, code, pkce);
        var stolen = body.GetProperty("refresh_token").GetString()!;
        var (_, rotated) = await host.RefreshAsync(client, stolen);
        var current = rotated.GetProperty("refresh_token").GetString()!;

        // PruneAfter (1 day) is shorter than the refresh-token lifetime (60 days): the lifetime wins, the redeemed row stays.
        host.Factory.Time!.Advance(TimeSpan.FromDays(20));
        await PruneAsync(host);

        Assert.Equal(HttpStatusCode.BadRequest, (await host.RefreshAsync(client, stolen)).Status);
        // Reuse was recognised (not merely "unknown token"): the whole grant is revoked, the current token too.
        Assert.Equal(HttpStatusCode.BadRequest, (await host.RefreshAsync(client, current)).Status);
    }
}
