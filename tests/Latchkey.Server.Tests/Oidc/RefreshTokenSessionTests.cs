using System.Net;
using Latchkey.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>
/// Session-bound refresh tokens (no offline_access) die with their SSO session; offline ones
/// (offline_access) outlive a logout.
/// </summary>
public sealed class RefreshTokenSessionTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task<(TestClient Client, string RefreshToken, Guid SessionId)> SignInAsync(string scope)
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce, scope);
        var (status, body) = await _host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var sid = Guid.Parse(ReadJwt(body.GetProperty("id_token").GetString()!).GetClaim("sid").Value);
        Assert.True(body.TryGetProperty("refresh_token", out var refresh), "a refresh token is issued with or without offline_access");
        return (client, refresh.GetString()!, sid);
    }

    private Task EndSessionAsync(Guid sessionId) =>
        _host.Factory.WithScopeAsync(services =>
            services.GetRequiredService<SsoSessionRegistry>().EndAsync(sessionId, SsoSessionEndReasons.Logout, CancellationToken.None));

    [Fact]
    public async Task Without_offline_access_the_refresh_token_works_while_the_session_lives_and_stops_when_it_ends()
    {
        var (client, refresh1, sid) = await SignInAsync("openid profile");

        var (status, body) = await _host.RefreshAsync(client, refresh1);
        Assert.Equal(HttpStatusCode.OK, status);
        var refresh2 = body.GetProperty("refresh_token").GetString()!;
        // The rotated token stays bound to the same session.
        Assert.Equal(sid.ToString("D"), ReadJwt(body.GetProperty("id_token").GetString()!).GetClaim("sid").Value);

        await EndSessionAsync(sid);

        var (ended, error) = await _host.RefreshAsync(client, refresh2);
        Assert.Equal(HttpStatusCode.BadRequest, ended);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.Contains("session", error.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_offline_access_the_refresh_token_survives_the_end_of_the_session()
    {
        var (client, refresh, sid) = await SignInAsync("openid profile offline_access");

        await EndSessionAsync(sid);

        var (status, body) = await _host.RefreshAsync(client, refresh);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task An_offline_refresh_token_dies_when_the_user_is_signed_out_everywhere()
    {
        var (client, refresh, _) = await SignInAsync("openid profile offline_access");

        var revoked = await _host.Factory.WithScopeAsync(services =>
            services.GetRequiredService<UserSessionRevoker>().RevokeAllAsync(_host.UserId, SsoSessionEndReasons.PasswordChanged, null, CancellationToken.None));

        Assert.True(revoked >= 1, "the browser session ended too");
        var (status, body) = await _host.RefreshAsync(client, refresh);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_client_without_the_refresh_token_grant_gets_no_session_bound_refresh_token()
    {
        var client = await _host.CreateClientAsync("web", properties: null);
        await _host.Factory.WithScopeAsync(async services =>
        {
            var manager = services.GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>();
            var application = await manager.FindByClientIdAsync(client.ClientId);
            var descriptor = new OpenIddict.Abstractions.OpenIddictApplicationDescriptor();
            await manager.PopulateAsync(descriptor, application!);
            descriptor.Permissions.Remove(OpenIddict.Abstractions.OpenIddictConstants.Permissions.GrantTypes.RefreshToken);
            await manager.UpdateAsync(application!, descriptor);
        });
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce, "openid profile");

        var (status, body) = await _host.RedeemCodeAsync(client, code, pkce);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("refresh_token", out _));
    }
}
