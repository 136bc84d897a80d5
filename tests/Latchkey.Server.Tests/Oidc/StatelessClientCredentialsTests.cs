using System.Net;
using System.Text.Json;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Oidc.Clients;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>
/// client_credentials access tokens are self-contained JWTs (no token or authorization row) unless
/// <c>Latchkey:Oidc:StatelessClientCredentialsTokens</c> is false; every other grant keeps its rows.
/// </summary>
public sealed class StatelessClientCredentialsTests
{
    private static async Task<(OidcTestHost Host, TestClient Service)> StartAsync(
        LatchkeyTestStorage storage = LatchkeyTestStorage.Sqlite, bool useFakeTime = false, string? stateless = null)
    {
        var host = new OidcTestHost(storage, useFakeTime);
        if (stateless is not null)
        {
            host.Factory.WithSetting("Latchkey:Oidc:StatelessClientCredentialsTokens", stateless);
        }

        await host.StartAsync();
        return (host, await host.CreateClientAsync("service"));
    }

    private static async Task<string> ClientCredentialsAsync(OidcTestHost host, TestClient client)
    {
        var (status, body) = await host.PostAsync("/connect/token", With(ClientAuth(client), ("grant_type", "client_credentials"), ("scope", "roles")));
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("access_token").GetString()!;
    }

    private static Task<(long Tokens, long Authorizations)> CountRowsAsync(OidcTestHost host) =>
        host.Factory.WithScopeAsync(async services => (
            await services.GetRequiredService<IOpenIddictTokenManager>().CountAsync(CancellationToken.None),
            await services.GetRequiredService<IOpenIddictAuthorizationManager>().CountAsync(CancellationToken.None)));

    private static Task<(HttpStatusCode Status, JsonElement Body)> RevokeAsync(OidcTestHost host, TestClient client, string token) =>
        host.PostAsync("/connect/revoke", With(ClientAuth(client), ("token", token)));

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Client_credentials_tokens_write_no_token_or_authorization_row(LatchkeyTestStorage storage)
    {
        var (host, service) = await StartAsync(storage);
        await using var lifetime = host;
        var before = await CountRowsAsync(host);

        var first = await ClientCredentialsAsync(host, service);
        var second = await ClientCredentialsAsync(host, service);

        Assert.NotEqual(first, second);
        Assert.Equal(before, await CountRowsAsync(host));
    }

    [Fact]
    public async Task A_stateless_token_validates_against_jwks_and_carries_no_token_id()
    {
        var (host, service) = await StartAsync();
        await using var lifetime = host;

        var token = await ClientCredentialsAsync(host, service);

        var jwks = await OidcClientsTestKit.JwksAsync(host);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "http://localhost/",
            ValidateAudience = false,
            ValidTypes = ["at+jwt"],
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        var jwt = (JsonWebToken)result.SecurityToken;
        Assert.Equal("service", jwt.Subject);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.False(jwt.TryGetClaim("oi_tkn_id", out _));
        Assert.False(jwt.TryGetClaim("oi_au_id", out _));
    }

    [Fact]
    public async Task Introspection_judges_a_stateless_token_by_signature_and_expiry()
    {
        var (host, service) = await StartAsync(useFakeTime: true);
        await using var lifetime = host;
        var token = await ClientCredentialsAsync(host, service);

        var (status, active) = await host.IntrospectAsync(service, token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(active.GetProperty("active").GetBoolean());
        Assert.Equal("service", active.GetProperty("sub").GetString());
        Assert.Equal("service", active.GetProperty("client_id").GetString());
        Assert.Equal(new JsonWebToken(token).ValidTo, DateTimeOffset.FromUnixTimeSeconds(active.GetProperty("exp").GetInt64()).UtcDateTime);

        var tampered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        Assert.False((await host.IntrospectAsync(service, tampered)).Body.GetProperty("active").GetBoolean());

        host.Factory.Time!.Advance(TimeSpan.FromMinutes(11)); // default access token lifetime: 10 minutes
        Assert.False((await host.IntrospectAsync(service, token)).Body.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Revoking_a_stateless_token_is_unsupported_and_leaves_it_active()
    {
        var (host, service) = await StartAsync();
        await using var lifetime = host;
        var token = await ClientCredentialsAsync(host, service);

        var (status, body) = await RevokeAsync(host, service, token);

        // RFC 7009 §2.2.1: the server does not support revoking this token type; it lives until it expires.
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_token_type", body.GetProperty("error").GetString());
        Assert.True((await host.IntrospectAsync(service, token)).Body.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Code_and_refresh_grants_still_write_rows_and_refresh_reuse_still_revokes_the_grant()
    {
        var (host, _) = await StartAsync();
        await using var lifetime = host;
        var web = await host.CreateClientAsync("web");
        var before = await CountRowsAsync(host);

        var pkce = Pkce.Create();
        var code = await host.GetCodeAsync(await host.SignInAsync(), web, pkce);
        var (_, redeemed) = await host.RedeemCodeAsync(web, code, pkce);
        var access1 = redeemed.GetProperty("access_token").GetString()!;
        var refresh1 = redeemed.GetProperty("refresh_token").GetString()!;
        var afterCode = await CountRowsAsync(host);
        // Code, access token and refresh token rows, and the grant's authorization.
        Assert.True(afterCode.Tokens >= before.Tokens + 3, $"{before} -> {afterCode}");
        Assert.True(afterCode.Authorizations > before.Authorizations, $"{before} -> {afterCode}");

        var (refreshStatus, rotated) = await host.RefreshAsync(web, refresh1);
        Assert.Equal(HttpStatusCode.OK, refreshStatus);
        var refresh2 = rotated.GetProperty("refresh_token").GetString()!;
        Assert.True((await CountRowsAsync(host)).Tokens >= afterCode.Tokens + 2);

        Assert.Equal("invalid_grant", (await host.RefreshAsync(web, refresh1)).Body.GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await host.RefreshAsync(web, refresh2)).Body.GetProperty("error").GetString());
        Assert.False((await host.IntrospectAsync(web, access1)).Body.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Setting_it_false_restores_token_storage_and_revocation()
    {
        var (host, service) = await StartAsync(stateless: "false");
        await using var lifetime = host;
        var before = await CountRowsAsync(host);

        var token = await ClientCredentialsAsync(host, service);

        Assert.Equal(before.Tokens + 1, (await CountRowsAsync(host)).Tokens);
        Assert.True((await host.IntrospectAsync(service, token)).Body.GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await RevokeAsync(host, service, token)).Status);
        Assert.False((await host.IntrospectAsync(service, token)).Body.GetProperty("active").GetBoolean());
    }
}
