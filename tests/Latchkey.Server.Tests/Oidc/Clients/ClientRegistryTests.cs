using System.Collections.Immutable;
using System.Text.Json;
using Latchkey.Server.Oidc.Clients;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;
using ClientTypes = Latchkey.Server.Oidc.Clients.ClientTypes;

namespace Latchkey.Server.Tests.Oidc.Clients;

public sealed class ClientRegistryTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Grants_and_scopes_become_openiddict_permissions_and_public_clients_require_pkce()
    {
        await Registry(r => r.CreateAsync(
            new ClientDefinition("spa", ClientTypes.Public, ["http://127.0.0.1:5173/cb"], ["http://localhost:5173/"], [ClientGrants.AuthorizationCode, ClientGrants.RefreshToken], ["openid", "email", "offline_access"], DisplayName: "The SPA"),
            CancellationToken.None));

        var (permissions, requirements, type, properties) = await _host.Factory.WithScopeAsync(async services =>
        {
            var manager = services.GetRequiredService<IOpenIddictApplicationManager>();
            var app = (await manager.FindByClientIdAsync("spa"))!;
            return (await manager.GetPermissionsAsync(app), await manager.GetRequirementsAsync(app), await manager.GetClientTypeAsync(app), await manager.GetPropertiesAsync(app));
        });

        Assert.Equal(OpenIddictConstants.ClientTypes.Public, type);
        Assert.Contains(Requirements.Features.ProofKeyForCodeExchange, requirements);
        Assert.Contains(Permissions.Endpoints.Authorization, permissions);
        Assert.Contains(Permissions.Endpoints.Token, permissions);
        Assert.Contains(Permissions.Endpoints.EndSession, permissions);
        Assert.Contains(Permissions.Endpoints.PushedAuthorization, permissions);
        Assert.Contains(Permissions.Endpoints.Revocation, permissions);
        Assert.DoesNotContain(Permissions.Endpoints.Introspection, permissions);
        Assert.Contains(Permissions.GrantTypes.AuthorizationCode, permissions);
        Assert.Contains(Permissions.GrantTypes.RefreshToken, permissions);
        Assert.DoesNotContain(Permissions.GrantTypes.ClientCredentials, permissions);
        Assert.DoesNotContain(Permissions.GrantTypes.DeviceCode, permissions);
        Assert.Contains(Permissions.ResponseTypes.Code, permissions);
        Assert.Contains(Permissions.Scopes.Email, permissions);
        Assert.DoesNotContain(Permissions.Scopes.Profile, permissions);
        Assert.False(ClientSettings.Read(properties).FirstParty);

        var summary = await Registry(r => r.GetAsync("spa", CancellationToken.None));
        Assert.NotNull(summary);
        Assert.Equal(["authorization_code", "refresh_token"], summary.Grants);
        Assert.Equal(["openid", "email", "offline_access"], summary.Scopes);
        Assert.True(summary.RequiresPkce);
        Assert.Equal("The SPA", summary.DisplayName);
    }

    [Fact]
    public async Task Settings_round_trip_through_the_properties_json()
    {
        await Registry(r => r.CreateAsync(
            new ClientDefinition("web", ClientTypes.Confidential, ["https://web.example/cb"], [], [ClientGrants.AuthorizationCode], ["openid"], FirstParty: true, BackchannelLogoutUri: "https://web.example/bcl", FrontchannelLogoutUri: "https://web.example/fcl"),
            CancellationToken.None));

        var settings = (await Registry(r => r.GetAsync("web", CancellationToken.None)))!.Settings;
        Assert.Equal(new ClientSettings(true, "https://web.example/bcl", true, "https://web.example/fcl", true), settings);

        var updated = await Registry(r => r.UpdateAsync(
            new ClientDefinition("web", ClientTypes.Confidential, ["https://web.example/cb2"], ["https://web.example/bye"], [ClientGrants.AuthorizationCode, ClientGrants.RefreshToken], ["openid", "profile"]),
            CancellationToken.None));
        Assert.True(updated);
        var after = (await Registry(r => r.GetAsync("web", CancellationToken.None)))!;
        Assert.Equal(ClientSettings.Default, after.Settings);
        Assert.Equal(["https://web.example/cb2"], after.RedirectUris);
        Assert.Equal(["https://web.example/bye"], after.PostLogoutRedirectUris);
        Assert.Equal(["openid", "profile"], after.Scopes);
    }

    [Fact]
    public void Read_ignores_mistyped_entries()
    {
        var properties = ImmutableDictionary<string, JsonElement>.Empty
            .Add("first_party", JsonSerializer.SerializeToElement("yes"))
            .Add("backchannel_logout_uri", JsonSerializer.SerializeToElement(42))
            .Add("frontchannel_logout_session_required", JsonSerializer.SerializeToElement(true))
            .Add("frontchannel_logout_uri", JsonSerializer.SerializeToElement("https://a.example/f"));

        Assert.Equal(new ClientSettings(false, null, false, "https://a.example/f", true), ClientSettings.Read(properties));
    }

    [Theory]
    [InlineData("https://app.example/cb#frag", "fragment")]
    [InlineData("/relative/cb", "absolute")]
    [InlineData("http://app.example/cb", "loopback")]
    [InlineData("ftp://app.example/cb", "https")]
    [InlineData("https://user:pw@app.example/cb", "user info")]
    public async Task Bad_redirect_uris_are_refused_with_a_reason(string uri, string reason)
    {
        var e = await Assert.ThrowsAsync<ClientValidationException>(() => Registry(r => r.CreateAsync(
            new ClientDefinition("bad", ClientTypes.Confidential, [uri], [], [ClientGrants.AuthorizationCode], ["openid"]), CancellationToken.None)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Null(await Registry(r => r.GetAsync("bad", CancellationToken.None)));
    }

    [Theory]
    [InlineData("http://localhost:8080/cb")]
    [InlineData("http://127.0.0.1/cb")]
    [InlineData("http://[::1]:9000/cb")]
    [InlineData("com.example.app:/oauth2redirect")]
    public async Task Loopback_http_and_private_use_schemes_are_accepted(string uri)
    {
        var created = await Registry(r => r.CreateAsync(
            new ClientDefinition("native", ClientTypes.Public, [uri], [], [ClientGrants.AuthorizationCode], ["openid"]), CancellationToken.None));
        Assert.Null(created.ClientSecret);
    }

    [Fact]
    public async Task Inconsistent_definitions_and_duplicates_are_refused()
    {
        await AssertRefusedAsync(new ClientDefinition("x", ClientTypes.Public, [], [], [ClientGrants.ClientCredentials], []), "public client");
        await AssertRefusedAsync(new ClientDefinition("x", ClientTypes.Confidential, [], [], [ClientGrants.RefreshToken], []), "refresh_token");
        await AssertRefusedAsync(new ClientDefinition("x", ClientTypes.Confidential, [], [], [ClientGrants.AuthorizationCode], ["openid"]), "redirect URI");
        await AssertRefusedAsync(new ClientDefinition("x", ClientTypes.Confidential, [], [], [ClientGrants.ClientCredentials], ["offline_access"]), "offline_access");
        await AssertRefusedAsync(new ClientDefinition("x", "hybrid", [], [], [ClientGrants.ClientCredentials], []), "type");
        await AssertRefusedAsync(new ClientDefinition("x", ClientTypes.Confidential, [], [], ["password"], []), "grant");
        await AssertRefusedAsync(new ClientDefinition("x y", ClientTypes.Confidential, [], [], [ClientGrants.ClientCredentials], []), "client_id");

        await Registry(r => r.CreateAsync(new ClientDefinition("dup", ClientTypes.Confidential, [], [], [ClientGrants.ClientCredentials], []), CancellationToken.None));
        await AssertRefusedAsync(new ClientDefinition("dup", ClientTypes.Confidential, [], [], [ClientGrants.ClientCredentials], []), "already exists");
    }

    private async Task AssertRefusedAsync(ClientDefinition definition, string reason)
    {
        var e = await Assert.ThrowsAsync<ClientValidationException>(() => Registry(r => r.CreateAsync(definition, CancellationToken.None)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private Task<T> Registry<T>(Func<ClientRegistry, Task<T>> action) =>
        _host.Factory.WithScopeAsync(services => action(services.GetRequiredService<ClientRegistry>()));
}
