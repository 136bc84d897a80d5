using System.Net;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>Refresh rotation and reuse detection, client credentials, introspection (RFC 7662), revocation (RFC 7009).</summary>
public sealed class TokenEndpointTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task<(TestClient Client, string AccessToken, string RefreshToken)> SignInWithCodeAsync()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce);
        var (status, body) = await _host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        return (client, body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    [Fact]
    public async Task Refresh_rotates_the_refresh_token_and_keeps_the_session_claims()
    {
        var (client, _, refresh1) = await SignInWithCodeAsync();

        var (status, body) = await _host.RefreshAsync(client, refresh1);

        Assert.Equal(HttpStatusCode.OK, status);
        var refresh2 = body.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(refresh1, refresh2);
        var idToken = ReadJwt(body.GetProperty("id_token").GetString()!);
        Assert.Equal(_host.UserId.ToString("D"), idToken.Subject);
        Assert.True(idToken.TryGetPayloadValue<long>("auth_time", out _));
        Assert.True(Guid.TryParse(idToken.GetClaim("sid").Value, out _));
        Assert.Equal(HttpStatusCode.OK, (await _host.RefreshAsync(client, refresh2)).Status);
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_revokes_the_whole_grant()
    {
        var (client, access1, refresh1) = await SignInWithCodeAsync();
        var (_, rotated) = await _host.RefreshAsync(client, refresh1);
        var access2 = rotated.GetProperty("access_token").GetString()!;
        var refresh2 = rotated.GetProperty("refresh_token").GetString()!;

        var (status, reuse) = await _host.RefreshAsync(client, refresh1);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", reuse.GetProperty("error").GetString());
        // The legitimate holder's newer tokens die with it: the thief and the victim cannot be told apart.
        Assert.Equal("invalid_grant", (await _host.RefreshAsync(client, refresh2)).Body.GetProperty("error").GetString());
        Assert.False((await _host.IntrospectAsync(client, access1)).Body.GetProperty("active").GetBoolean());
        Assert.False((await _host.IntrospectAsync(client, access2)).Body.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Refresh_for_a_disabled_user_is_refused()
    {
        var (client, _, refresh) = await SignInWithCodeAsync();
        await _host.Factory.WithScopeAsync(async services =>
        {
            var users = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Storage.LatchkeyUser>>(services);
            var user = await users.FindByNameAsync(UserName);
            user!.IsActive = false;
            await users.UpdateAsync(user);
        });

        var (status, body) = await _host.RefreshAsync(client, refresh);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Client_credentials_issue_a_jwt_access_token_whose_subject_is_the_client()
    {
        var client = await _host.CreateClientAsync("service");

        var (status, body) = await _host.PostAsync("/connect/token", With(ClientAuth(client), ("grant_type", "client_credentials"), ("scope", "roles")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("refresh_token", out _));
        Assert.False(body.TryGetProperty("id_token", out _));
        var token = ReadJwt(body.GetProperty("access_token").GetString()!);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal("service", token.Subject);
        Assert.Equal("service", token.GetClaim("client_id").Value);
    }

    [Fact]
    public async Task Client_credentials_with_a_wrong_secret_is_invalid_client()
    {
        var client = await _host.CreateClientAsync("service");

        var (status, body) = await _host.PostAsync("/connect/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_secret"] = "wrong",
        });

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Public_clients_cannot_use_client_credentials()
    {
        var spa = await _host.CreateClientAsync("spa", confidential: false);

        var (status, body) = await _host.PostAsync("/connect/token", new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = spa.ClientId });

        // OpenIddict refuses a public client on this grant as a malformed request.
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Introspection_describes_an_active_access_token()
    {
        var (client, access, _) = await SignInWithCodeAsync();

        var (status, body) = await _host.IntrospectAsync(client, access);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.Equal(_host.UserId.ToString("D"), body.GetProperty("sub").GetString());
        Assert.Equal("web", body.GetProperty("client_id").GetString());
        Assert.Equal("http://localhost/", body.GetProperty("iss").GetString());
    }

    [Fact]
    public async Task Introspection_of_garbage_is_inactive_and_requires_client_authentication()
    {
        var client = await _host.CreateClientAsync("web");

        Assert.False((await _host.IntrospectAsync(client, "garbage")).Body.GetProperty("active").GetBoolean());
        var (status, body) = await _host.PostAsync("/connect/introspect", new Dictionary<string, string> { ["token"] = "garbage" });
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Revoking_the_refresh_token_makes_it_unusable()
    {
        var (client, _, refresh) = await SignInWithCodeAsync();

        var (status, _) = await _host.PostAsync("/connect/revoke", With(ClientAuth(client), ("token", refresh), ("token_type_hint", "refresh_token")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False((await _host.IntrospectAsync(client, refresh)).Body.GetProperty("active").GetBoolean());
        Assert.Equal("invalid_grant", (await _host.RefreshAsync(client, refresh)).Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Revoking_an_access_token_makes_introspection_report_it_inactive()
    {
        var (client, access, _) = await SignInWithCodeAsync();

        var (status, _) = await _host.PostAsync("/connect/revoke", With(ClientAuth(client), ("token", access)));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False((await _host.IntrospectAsync(client, access)).Body.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Revoking_an_unknown_token_is_ok_per_rfc_7009()
    {
        var client = await _host.CreateClientAsync("web");

        var (status, _) = await _host.PostAsync("/connect/revoke", With(ClientAuth(client), ("token", "not-a-token")));

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("grant_type=authorization_code&code=x&client_id=web&client_secret=secret-web-0123456789abcdef", "invalid_grant")]
    [InlineData("grant_type=refresh_token&refresh_token=x&client_id=web&client_secret=secret-web-0123456789abcdef", "invalid_grant")]
    [InlineData("grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=x&client_id=web&client_secret=secret-web-0123456789abcdef", "invalid_grant")]
    [InlineData("grant_type=bogus&client_id=web", "unsupported_grant_type")]
    [InlineData("client_id=web", "invalid_request")]
    [InlineData("grant_type=authorization_code&client_id=web&client_secret=secret-web-0123456789abcdef", "invalid_request")]
    [InlineData("grant_type=client_credentials&client_id=nobody&client_secret=x", "invalid_client")]
    public async Task Bad_token_requests_get_the_rfc_error_never_a_500(string body, string error)
    {
        await _host.CreateClientAsync("web");
        using var http = _host.Factory.CreateClient();

        using var response = await http.PostAsync("/connect/token", new StringContent(body, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));

        // RFC 6749 §5.2: invalid_client may (and here does) answer 401.
        Assert.Equal(error == "invalid_client" ? HttpStatusCode.Unauthorized : HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"error\": \"{error}\"", (await response.Content.ReadAsStringAsync()).Replace("\":\"", "\": \"", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_on_the_token_endpoint_is_refused_cleanly()
    {
        using var http = _host.Factory.CreateClient();

        using var response = await http.GetAsync("/connect/token?grant_type=client_credentials");

        Assert.InRange((int)response.StatusCode, 400, 499);
    }
}
