using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Client.Tests;

/// <summary>The sample site, hosted on real Kestrel with its own configuration keys, against the fake Python server.</summary>
public sealed partial class SampleWebAppTests
{
    private sealed class SampleSite(string name, FakeSimpleSsoServer server, TimeProvider time) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Sample:Name", name);
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

    [Fact]
    public async Task Sample_signs_in_shows_the_user_and_the_site_name_and_signs_out_locally()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));
        await using var server = await FakeSimpleSsoServer.StartAsync(PythonItsDangerous.V2, time);
        await using var site = new SampleSite("App One", server, time);
        var baseUrl = site.Start();
        using var browser = new Browser();

        var anonymous = await browser.GetAsync(baseUrl);
        Assert.Contains("Not signed in.", anonymous.Body);

        var trail = await browser.NavigateAsync(new Uri(baseUrl, "private"));
        Assert.Equal(new Uri(baseUrl, "private"), trail[^1].Url);
        Assert.Equal(HttpStatusCode.OK, trail[^1].Status);
        Assert.Contains("Signed in as <strong>alice</strong> on App One.", trail[^1].Body);
        Assert.Contains(browser.CookieNames, n => n == ".Latchkey.Sample.App-One");

        var home = await browser.GetAsync(baseUrl);
        Assert.Contains("Signed in as <strong>alice</strong> on App One.", home.Body);

        // POST /logout without the antiforgery token is refused, with it the local session ends.
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        using var forged = await http.PostAsync(new Uri(baseUrl, "logout"), new FormUrlEncodedContent([]), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        var token = AntiforgeryField().Match(home.Body);
        Assert.True(token.Success);
        var loggedOut = await browser.PostFormAsync(new Uri(baseUrl, "logout"), new Dictionary<string, string> { [token.Groups[1].Value] = WebUtility.HtmlDecode(token.Groups[2].Value) });
        Assert.Equal(HttpStatusCode.Redirect, loggedOut.Status);
        Assert.Contains("Not signed in.", (await browser.GetAsync(baseUrl)).Body);
    }

    [Fact]
    public async Task Sample_refuses_to_start_without_keys()
    {
        var time = new FakeTimeProvider();
        await using var server = await FakeSimpleSsoServer.StartAsync(PythonItsDangerous.V2, time);
        await using var site = new SampleSiteWithoutKeys(server);

        var error = Assert.ThrowsAny<Exception>(() => site.Start());

        Assert.Contains("PublicKey is required.", error.ToString());
    }

    private sealed class SampleSiteWithoutKeys(FakeSimpleSsoServer server) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("SimpleSso:ServerUrl", server.SsoUrl);
            builder.ConfigureLogging(logging => logging.ClearProviders());
        }

        public void Start()
        {
            UseKestrel(0);
            StartServer();
        }
    }

    [GeneratedRegex("name=\"([^\"]+)\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
