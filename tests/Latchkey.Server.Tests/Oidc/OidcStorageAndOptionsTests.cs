using System.Net;
using Latchkey.Server.Tests.Infrastructure;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>The core flow on both databases, and the provider's settings.</summary>
public sealed class OidcStorageAndOptionsTests
{
    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Code_refresh_reuse_and_consent_work_on_each_database(LatchkeyTestStorage storage)
    {
        await using var host = await new OidcTestHost(storage).StartAsync();
        var client = await host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var (status, tokens) = await host.RedeemCodeAsync(client, await host.GetCodeAsync(await host.SignInAsync(), client, pkce), pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await host.RefreshAsync(client, refresh)).Status);
        Assert.Equal("invalid_grant", (await host.RefreshAsync(client, refresh)).Body.GetProperty("error").GetString());

        var partner = await host.CreateClientAsync("partner", firstParty: false);
        var browser = await host.SignInAsync();
        var url = AuthorizeUrl(partner, Pkce.Create(), scope: "openid");
        using var page = await browser.GetAsync(url);
        using var decided = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(page), new Uri(browser.BaseAddress!, url),
            new Dictionary<string, string?> { ["submit.Accept"] = "x" });
        Assert.True(RedirectParameters(decided, partner).ContainsKey("code"));
        Assert.False(string.IsNullOrEmpty(await host.GetCodeAsync(browser, partner, Pkce.Create(), scope: "openid", extra: ("prompt", "none"))));
    }

    [Fact]
    public async Task Reference_access_tokens_are_opaque_and_introspectable()
    {
        await using var host = new OidcTestHost();
        host.Factory.WithSetting("Latchkey:Oidc:UseReferenceAccessTokens", "true");
        await host.StartAsync();
        var client = await host.CreateClientAsync("service");

        var (status, body) = await host.PostAsync("/connect/token", With(ClientAuth(client), ("grant_type", "client_credentials")));

        Assert.Equal(HttpStatusCode.OK, status);
        var token = body.GetProperty("access_token").GetString()!;
        Assert.DoesNotContain('.', token);
        var introspection = (await host.IntrospectAsync(client, token)).Body;
        Assert.True(introspection.GetProperty("active").GetBoolean());
        Assert.Equal("service", introspection.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Configured_issuer_is_used_in_discovery_tokens_and_responses()
    {
        await using var host = new OidcTestHost();
        host.Factory.WithSetting("Latchkey:Oidc:Issuer", "https://sso.example.test/");
        await host.StartAsync();
        using var http = host.Factory.CreateClient();

        var discovery = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration")).RootElement;

        Assert.Equal("https://sso.example.test/", discovery.GetProperty("issuer").GetString());
    }

    [Theory]
    [InlineData("Issuer", "not a url")]
    [InlineData("Issuer", "https://sso.example.test/?x=1")]
    [InlineData("AccessTokenLifetime", "00:00:00")]
    [InlineData("RefreshTokenReuseLeeway", "-00:00:01")]
    public async Task Bad_settings_stop_the_server_at_startup(string field, string value)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "latchkey-tests", Guid.NewGuid().ToString("N"));
        var error = new StringWriter();
        var previous = Console.Error;
        int exitCode;
        Console.SetError(error);
        try
        {
            exitCode = await Latchkey.Server.Hosting.LatchkeyServer.ServeAsync(
                [$"--Latchkey:DataDirectory={dataDirectory}", $"--Latchkey:Oidc:{field}={value}", "--urls=http://127.0.0.1:0"]);
        }
        finally
        {
            Console.SetError(previous);
        }

        Assert.Equal(1, exitCode);
        Assert.Contains($"Latchkey:Oidc:{field}", error.ToString(), StringComparison.Ordinal);
    }
}
