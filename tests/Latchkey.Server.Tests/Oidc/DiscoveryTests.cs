using System.Net;
using System.Text.Json;

namespace Latchkey.Server.Tests.Oidc;

public sealed class DiscoveryTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Discovery_document_lists_the_endpoints_flows_and_logout_support()
    {
        using var http = _host.Factory.CreateClient();
        using var response = await http.GetAsync("/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("http://localhost/", document.GetProperty("issuer").GetString());
        Assert.Equal("http://localhost/connect/authorize", document.GetProperty("authorization_endpoint").GetString());
        Assert.Equal("http://localhost/connect/token", document.GetProperty("token_endpoint").GetString());
        Assert.Equal("http://localhost/connect/userinfo", document.GetProperty("userinfo_endpoint").GetString());
        Assert.Equal("http://localhost/connect/introspect", document.GetProperty("introspection_endpoint").GetString());
        Assert.Equal("http://localhost/connect/revoke", document.GetProperty("revocation_endpoint").GetString());
        Assert.Equal("http://localhost/connect/logout", document.GetProperty("end_session_endpoint").GetString());
        Assert.Equal("http://localhost/connect/device", document.GetProperty("device_authorization_endpoint").GetString());
        Assert.Equal("http://localhost/connect/par", document.GetProperty("pushed_authorization_request_endpoint").GetString());
        Assert.Equal("http://localhost/.well-known/jwks", document.GetProperty("jwks_uri").GetString());

        Assert.Equal(["S256"], Strings(document, "code_challenge_methods_supported"));
        Assert.Equal(["consent", "login", "none"], Strings(document, "prompt_values_supported").Order(StringComparer.Ordinal));
        Assert.Equal(["code"], Strings(document, "response_types_supported"));
        Assert.Contains("form_post", Strings(document, "response_modes_supported"));
        var grants = Strings(document, "grant_types_supported");
        Assert.Contains("authorization_code", grants);
        Assert.Contains("refresh_token", grants);
        Assert.Contains("client_credentials", grants);
        Assert.Contains("urn:ietf:params:oauth:grant-type:device_code", grants);
        Assert.DoesNotContain("password", grants);
        Assert.DoesNotContain("implicit", grants);
        foreach (var scope in new[] { "openid", "profile", "email", "roles", "offline_access" })
        {
            Assert.Contains(scope, Strings(document, "scopes_supported"));
        }

        foreach (var claim in new[] { "sub", "auth_time", "amr", "acr", "sid", "email", "name" })
        {
            Assert.Contains(claim, Strings(document, "claims_supported"));
        }

        Assert.True(document.GetProperty("authorization_response_iss_parameter_supported").GetBoolean());
        Assert.True(document.GetProperty("backchannel_logout_supported").GetBoolean());
        Assert.True(document.GetProperty("backchannel_logout_session_supported").GetBoolean());
        Assert.True(document.GetProperty("frontchannel_logout_supported").GetBoolean());
        Assert.True(document.GetProperty("frontchannel_logout_session_supported").GetBoolean());
    }

    [Fact]
    public async Task Jwks_publishes_a_public_signing_key_only()
    {
        using var http = _host.Factory.CreateClient();
        var jwks = JsonDocument.Parse(await http.GetStringAsync("/.well-known/jwks")).RootElement;

        var keys = jwks.GetProperty("keys").EnumerateArray().ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key =>
        {
            Assert.Equal("sig", key.GetProperty("use").GetString());
            Assert.False(key.TryGetProperty("d", out _));
        });
    }

    [Fact]
    public async Task Plain_http_is_refused_unless_configured()
    {
        await using var strict = new LatchkeyServerFactoryHttpsProbe();
        using var http = strict.Factory.CreateClient();

        using var response = await http.GetAsync("/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static List<string> Strings(JsonElement document, string name) =>
        [.. document.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

    private sealed class LatchkeyServerFactoryHttpsProbe : IAsyncDisposable
    {
        public Infrastructure.LatchkeyServerFactory Factory { get; } = new();

        public ValueTask DisposeAsync() => Factory.DisposeAsync();
    }
}
