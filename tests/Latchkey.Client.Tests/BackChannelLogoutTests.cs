using System.Net;
using System.Text;
using Latchkey.Client.Tests.Infrastructure;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Client.Tests;

/// <summary>
/// Latchkey's single-logout extension in the client library, on the sample site (real Kestrel): the back-channel receiver
/// ends the local session of the named SSO session, and refuses bad signatures, stale and replayed notices without
/// changing anything; sign-out sends the browser to the server's signed logout endpoint.
/// </summary>
public sealed class BackChannelLogoutTests
{
    private const string SsoSession = "6b1f4c0e-2c55-4f0a-9a8e-3d1e2f4a5b6c";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class SampleSite(FakeSimpleSsoServer server, TimeProvider time) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Sample:Name", "App One");
            builder.UseSetting("SimpleSso:ServerUrl", server.SsoUrl);
            builder.UseSetting("SimpleSso:PublicKey", FakeSimpleSsoServer.PublicKey);
            builder.UseSetting("SimpleSso:PrivateKey", server.PrivateKey);
            builder.ConfigureLogging(logging => logging.ClearProviders());
            builder.ConfigureServices(services => services.AddSingleton(time));
        }

        public Uri Start()
        {
            UseKestrel(0);
            StartServer();
            return ClientOptions.BaseAddress;
        }
    }

    private sealed record Fixture(FakeTimeProvider Time, FakeSimpleSsoServer Server, SampleSite Site, Uri BaseUrl, Browser Browser) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Browser.Dispose();
            await Site.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private static async Task<Fixture> SignedInAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));
        var server = await FakeSimpleSsoServer.StartAsync(PythonItsDangerous.V2, time);
        server.SignedInUser = [.. FakeSimpleSsoServer.Alice(), new("sso_session", "\"" + SsoSession + "\"")];
        var site = new SampleSite(server, time);
        var baseUrl = site.Start();
        var browser = new Browser();
        var trail = await browser.NavigateAsync(new Uri(baseUrl, "private"));
        Assert.Contains("simple_sso:sso_session", trail[^1].Body);
        Assert.Contains(SsoSession, trail[^1].Body);
        return new Fixture(time, server, site, baseUrl, browser);
    }

    private static string Notice(string privateKey, DateTimeOffset now, string session = SsoSession, string id = "notice-1") =>
        SimpleSsoEnvelope.Seal(new BackChannelLogoutNotice(SingleLogoutProtocol.LogoutEvent, "alice", session, id), new TimedSigner(privateKey), now);

    private static async Task<HttpResponseMessage> PostAsync(Uri baseUrl, string body, string publicKey = FakeSimpleSsoServer.PublicKey)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "sso/backchannel-logout/")) { Content = new StringContent(body, Encoding.UTF8, "text/plain") };
        request.Headers.TryAddWithoutValidation(SingleLogoutProtocol.PublicKeyHeader, publicKey);
        return await http.SendAsync(request, Ct);
    }

    private static async Task<bool> SignedInAsync(Fixture fixture) =>
        (await fixture.Browser.GetAsync(fixture.BaseUrl)).Body.Contains("Signed in as", StringComparison.Ordinal);

    [Fact]
    public async Task A_valid_notice_ends_the_local_session_on_its_next_request()
    {
        await using var fixture = await SignedInAsync();

        using var response = await PostAsync(fixture.BaseUrl, Notice(fixture.Server.PrivateKey, fixture.Time.GetUtcNow()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(await SignedInAsync(fixture));
        Assert.Contains("Not signed in.", (await fixture.Browser.GetAsync(fixture.BaseUrl)).Body);
    }

    [Theory]
    [InlineData("bad-signature")]
    [InlineData("wrong-key-header")]
    [InlineData("stale")]
    [InlineData("future")]
    [InlineData("malformed")]
    [InlineData("get")]
    public async Task Bad_notices_are_refused_with_a_4xx_and_change_nothing(string kind)
    {
        await using var fixture = await SignedInAsync();
        var now = fixture.Time.GetUtcNow();
        var key = fixture.Server.PrivateKey;

        HttpResponseMessage response;
        if (kind == "get")
        {
            using var http = new HttpClient();
            response = await http.GetAsync(new Uri(fixture.BaseUrl, "sso/backchannel-logout/"), Ct);
        }
        else
        {
            response = kind switch
            {
                "bad-signature" => await PostAsync(fixture.BaseUrl, Notice("another-key-entirely-0123456789abcdef0123456789abcdef0123456789", now)),
                "wrong-key-header" => await PostAsync(fixture.BaseUrl, Notice(key, now), publicKey: "someone-else"),
                "stale" => await PostAsync(fixture.BaseUrl, Notice(key, now - TimeSpan.FromMinutes(3))),
                "future" => await PostAsync(fixture.BaseUrl, Notice(key, now + TimeSpan.FromMinutes(2))),
                _ => await PostAsync(fixture.BaseUrl, SimpleSsoEnvelope.Seal(new { @event = "logout", username = "alice" }, new TimedSigner(key), now)),
            };
        }

        using (response)
        {
            Assert.InRange((int)response.StatusCode, 400, 499);
        }

        Assert.True(await SignedInAsync(fixture));
    }

    [Fact]
    public async Task A_replayed_notice_is_refused()
    {
        await using var fixture = await SignedInAsync();
        var notice = Notice(fixture.Server.PrivateKey, fixture.Time.GetUtcNow(), session: "00000000-0000-0000-0000-000000000001");
        using (var first = await PostAsync(fixture.BaseUrl, notice))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var replay = await PostAsync(fixture.BaseUrl, notice);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("Notice already received", await replay.Content.ReadAsStringAsync(Ct));
        Assert.True(await SignedInAsync(fixture));
    }

    [Fact]
    public async Task Signing_out_ends_the_local_session_and_sends_the_browser_to_the_signed_server_logout()
    {
        await using var fixture = await SignedInAsync();
        var home = await fixture.Browser.GetAsync(fixture.BaseUrl);
        var token = System.Text.RegularExpressions.Regex.Match(home.Body, "name=\"(?<n>[^\"]+)\" value=\"(?<v>[^\"]+)\"");

        var response = await fixture.Browser.PostFormAsync(new Uri(fixture.BaseUrl, "logout"), new Dictionary<string, string> { [token.Groups["n"].Value] = token.Groups["v"].Value });

        Assert.Equal(HttpStatusCode.Redirect, response.Status);
        var location = new Uri(response.Location!);
        Assert.StartsWith(fixture.Server.SsoUrl + "logout/?key=", location.AbsoluteUri, StringComparison.Ordinal);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query);
        var opened = UrlSafeToken.Open(query["token"].ToString(), new TimedSigner(fixture.Server.PrivateKey), fixture.Time.GetUtcNow(), SingleLogoutProtocol.Freshness);
        Assert.True(opened.IsSuccess);
        var request = ClientLogoutRequest.From(opened.Value).Value!;
        Assert.Equal(SsoSession, request.SsoSession);
        Assert.Equal(fixture.BaseUrl.AbsoluteUri, request.Next);
        Assert.False(await SignedInAsync(fixture));
    }
}
