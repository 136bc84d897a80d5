using System.Net;
using System.Text.Json;
using Latchkey.Server.Hosting;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.SimpleSso;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>Reverse-proxy support over a real socket, where the caller's address is 127.0.0.1.</summary>
public sealed class ForwardedHeadersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_known_proxy_sets_the_issuer_scheme_and_host_and_redirects_stay_relative()
    {
        await using var factory = Server(enabled: true).WithSetting("Latchkey:ForwardedHeaders:KnownProxies:0", "127.0.0.1");
        var http = Client(factory);

        var discovery = await DiscoveryAsync(http);

        Assert.Equal("https://sso.example.com/", discovery.GetProperty("issuer").GetString());
        Assert.Equal("https://sso.example.com/connect/authorize", discovery.GetProperty("authorization_endpoint").GetString());
        Assert.Equal("https://sso.example.com/connect/token", discovery.GetProperty("token_endpoint").GetString());
        Assert.Equal("https://sso.example.com/.well-known/jwks", discovery.GetProperty("jwks_uri").GetString());

        var consumer = await factory.CreateConsumerAsync("app", "https://app.example.com");
        var requestToken = await new SimpleSsoWire(http).GetRequestTokenAsync(
            new SsoKeys(consumer.PublicKey, consumer.PrivateKey), "https://app.example.com/done", TimeProvider.System.GetUtcNow());
        using var login = await SendForwardedAsync(http, "/sso/authorize/?token=" + requestToken);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.False(login.Headers.Location!.IsAbsoluteUri, login.Headers.Location.OriginalString);
        Assert.StartsWith("/account/login?", login.Headers.Location.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_known_network_is_trusted_like_a_known_proxy()
    {
        await using var factory = Server(enabled: true).WithSetting("Latchkey:ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8");

        var discovery = await DiscoveryAsync(Client(factory));

        Assert.Equal("https://sso.example.com/", discovery.GetProperty("issuer").GetString());
    }

    [Fact]
    public async Task Forwarded_headers_are_ignored_when_the_feature_is_off()
    {
        await using var factory = Server(enabled: false).WithSetting("Latchkey:ForwardedHeaders:KnownProxies:0", "127.0.0.1");
        var http = Client(factory);

        var discovery = await DiscoveryAsync(http);

        Assert.Equal(http.BaseAddress!.ToString(), discovery.GetProperty("issuer").GetString());
        Assert.StartsWith("http://127.0.0.1:", discovery.GetProperty("issuer").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarded_headers_from_a_peer_that_is_not_a_known_proxy_are_ignored()
    {
        await using var factory = Server(enabled: true)
            .WithSetting("Latchkey:ForwardedHeaders:KnownProxies:0", "10.1.2.3")
            .WithSetting("Latchkey:ForwardedHeaders:KnownNetworks:0", "192.168.0.0/16");
        var http = Client(factory);

        var discovery = await DiscoveryAsync(http);

        Assert.Equal(http.BaseAddress!.ToString(), discovery.GetProperty("issuer").GetString());
    }

    [Fact]
    public async Task A_forwarded_host_outside_AllowedHosts_is_not_applied_and_a_direct_one_is_refused()
    {
        await using var factory = Server(enabled: true)
            .WithSetting("Latchkey:ForwardedHeaders:KnownProxies:0", "127.0.0.1")
            .WithSetting("AllowedHosts", "127.0.0.1;sso.example.com");
        var http = Client(factory);

        Assert.Equal("https://sso.example.com/", (await DiscoveryAsync(http)).GetProperty("issuer").GetString());
        var spoofed = await DiscoveryAsync(http, forwardedHost: "evil.example.com");
        Assert.Equal($"https://{http.BaseAddress!.Authority}/", spoofed.GetProperty("issuer").GetString());

        using var direct = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        direct.Headers.Host = "evil.example.com";
        using var refused = await http.SendAsync(direct, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task Responses_do_not_name_the_web_server()
    {
        await using var factory = new LatchkeyServerFactory();
        var http = Client(factory);

        using var response = await http.GetAsync("/account/login", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Server"), string.Join(", ", response.Headers.Server));
    }

    [Fact]
    public async Task Enabling_without_proxies_or_networks_stops_startup()
    {
        await using var factory = Server(enabled: true);

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException
            ?? (error as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault();
        Assert.True(validation is not null, error.ToString());
        Assert.Contains(validation.Failures, f => f.StartsWith("Latchkey:ForwardedHeaders:Enabled requires", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("10.0.0.300")]
    [InlineData("proxy.internal")]
    [InlineData("")]
    public void A_bad_proxy_address_is_named_in_the_error(string proxy)
    {
        var options = new LatchkeyOptions { ForwardedHeaders = { Enabled = true, KnownProxies = ["10.0.0.5", proxy] } };

        var result = new LatchkeyOptionsValidator().Validate(null, options);

        Assert.Equal(
            $"Latchkey:ForwardedHeaders:KnownProxies:1 must be an IP address such as 10.0.0.5 (got '{proxy}').",
            Assert.Single(result.Failures!));
    }

    [Theory]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/33")]
    [InlineData("ten/8")]
    public void A_bad_network_is_named_in_the_error(string network)
    {
        var options = new LatchkeyOptions { ForwardedHeaders = { Enabled = true, KnownNetworks = [network] } };

        var result = new LatchkeyOptionsValidator().Validate(null, options);

        Assert.Equal(
            $"Latchkey:ForwardedHeaders:KnownNetworks:0 must be a CIDR range such as 10.0.0.0/8 (got '{network}').",
            Assert.Single(result.Failures!));
    }

    [Fact]
    public void Valid_settings_pass_and_the_forward_limit_must_be_positive()
    {
        var valid = new LatchkeyOptions { ForwardedHeaders = { Enabled = true, KnownProxies = ["::1", "10.0.0.5"], KnownNetworks = ["fd00::/8"], ForwardLimit = 2 } };
        Assert.True(new LatchkeyOptionsValidator().Validate(null, valid).Succeeded);

        var zero = new LatchkeyOptions { ForwardedHeaders = { KnownProxies = ["10.0.0.5"], ForwardLimit = 0 } };
        Assert.Equal("Latchkey:ForwardedHeaders:ForwardLimit must be positive (got 0).", Assert.Single(new LatchkeyOptionsValidator().Validate(null, zero).Failures!));
    }

    private static LatchkeyServerFactory Server(bool enabled) =>
        new LatchkeyServerFactory()
            // The socket is plain HTTP; with a trusted proxy the request is https by the time OpenIddict sees it.
            .WithSetting("Latchkey:Oidc:RequireHttps", "false")
            .WithSetting("Latchkey:ForwardedHeaders:Enabled", enabled ? "true" : "false");

    private static HttpClient Client(LatchkeyServerFactory factory) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = factory.UseRealKestrel() };

    private static async Task<JsonElement> DiscoveryAsync(HttpClient http, string forwardedHost = "sso.example.com")
    {
        using var response = await SendForwardedAsync(http, "/.well-known/openid-configuration", forwardedHost);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    private static async Task<HttpResponseMessage> SendForwardedAsync(HttpClient http, string path, string forwardedHost = "sso.example.com")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", forwardedHost);
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        return await http.SendAsync(request, Ct);
    }
}
