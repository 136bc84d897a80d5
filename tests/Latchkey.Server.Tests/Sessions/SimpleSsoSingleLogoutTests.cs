using System.Net;
using Latchkey.Client.AspNetCore;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>
/// Single logout for simple-sso apps built on Latchkey.Client.AspNetCore, end to end over real sockets: Latchkey on Kestrel, a
/// client app on Kestrel, a cookie-keeping HTTP client as the browser. Logging out of Latchkey signs the app out through the
/// signed back-channel call; signing out of the app ends the SSO session through the signed logout endpoint.
/// </summary>
public sealed class SimpleSsoSingleLogoutTests
{
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A minimal app using the client library the way the sample does.</summary>
    private sealed class ClientApp : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ClientApp(WebApplication app, Uri baseUrl)
        {
            _app = app;
            BaseUrl = baseUrl;
        }

        public Uri BaseUrl { get; }

        public string PublicKey { get; private init; } = "";

        public string PrivateKey { get; private init; } = "";

        public static async Task<ClientApp> StartAsync(Uri server, string publicKey, string privateKey)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            builder.Services
                .AddAuthentication(options =>
                {
                    options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                    options.DefaultChallengeScheme = SimpleSsoDefaults.AuthenticationScheme;
                })
                // Cookies ignore ports: each app on 127.0.0.1 needs its own names.
                .AddCookie(options => options.Cookie.Name = "client.app." + publicKey[..8])
                .AddSimpleSso(options =>
                {
                    options.ServerUrl = new Uri(server, "sso/").AbsoluteUri;
                    options.PublicKey = publicKey;
                    options.PrivateKey = privateKey;
                    options.CorrelationCookie.Name = "client.app." + publicKey[..8] + ".correlation.";
                });
            builder.Services.AddAuthorization();
            var app = builder.Build();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/", (HttpContext context) => context.User.Identity?.IsAuthenticated == true
                ? "Signed in as " + context.User.Identity.Name + " (" + context.User.FindFirst(SimpleSsoClaimTypes.SsoSession)?.Value + ")"
                : "Not signed in");
            app.MapGet("/private", (HttpContext context) => "Private for " + context.User.Identity!.Name).RequireAuthorization();
            app.MapGet("/signout", async (HttpContext context) =>
            {
                await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                await context.SignOutAsync(SimpleSsoDefaults.AuthenticationScheme, new AuthenticationProperties { RedirectUri = "/" });
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ClientApp(app, new Uri(address.TrimEnd('/') + "/")) { PublicKey = publicKey, PrivateKey = privateKey };
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static HttpClient NewBrowser() =>
        new(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true, MaxAutomaticRedirections = 10 });

    private static async Task<string> SignInThroughAppAsync(HttpClient browser, ClientApp app, string userName)
    {
        using var login = await browser.GetAsync(new Uri(app.BaseUrl, "private"), Ct);
        Assert.Contains("/account/login", login.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        using var landed = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(login), login.RequestMessage.RequestUri, new Dictionary<string, string?>
        {
            ["username"] = userName,
            ["password"] = Password,
        });
        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Equal("Private for " + userName, await landed.Content.ReadAsStringAsync(Ct));
        return await browser.GetStringAsync(app.BaseUrl, Ct);
    }

    private static async Task<ClientApp> RegisterAsync(LatchkeyServerFactory factory, Uri server, string name, bool backChannel)
    {
        // Keys first, origin once the app listens.
        var consumer = await factory.CreateConsumerAsync(name, "http://placeholder.invalid");
        var app = await ClientApp.StartAsync(server, consumer.PublicKey, consumer.PrivateKey);
        var origin = app.BaseUrl.GetLeftPart(UriPartial.Authority);
        await factory.WithScopeAsync(services => services.GetRequiredService<Latchkey.Server.Consumers.ConsumerRegistry>().UpdateAsync(name, [origin], false, false, Ct));
        if (backChannel)
        {
            await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Consumers.Where(c => c.Name == name)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.BackChannelLogoutUrl, origin + SimpleSsoDefaults.BackChannelLogoutPath), Ct));
        }

        return app;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    [Fact]
    public async Task Logging_out_of_latchkey_signs_the_app_out_through_the_back_channel_and_only_back_channel_consumers_get_sso_session()
    {
        await using var factory = new LatchkeyServerFactory();
        var server = factory.UseRealKestrel();
        var user = await factory.CreateUserAsync("alice", Password);
        await using var wiki = await RegisterAsync(factory, server, "wiki", backChannel: true);
        await using var legacy = await RegisterAsync(factory, server, "legacy", backChannel: false);
        using var browser = NewBrowser();

        var wikiHome = await SignInThroughAppAsync(browser, wiki, "alice");
        var session = Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id));
        Assert.Equal("Signed in as alice (" + session.Id.ToString("D") + ")", wikiHome);
        using (await browser.GetAsync(new Uri(legacy.BaseUrl, "private"), Ct))
        {
        }

        // A consumer without a back-channel URL gets the django-simple-sso payload, without sso_session.
        Assert.Equal("Signed in as alice ()", await browser.GetStringAsync(legacy.BaseUrl, Ct));

        using (var logoutPage = await browser.GetAsync(new Uri(server, "account/logout"), Ct))
        {
            using var loggedOut = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(logoutPage), logoutPage.RequestMessage!.RequestUri!);
            Assert.Equal(HttpStatusCode.OK, loggedOut.StatusCode);
        }

        await UntilAsync(async () => await browser.GetStringAsync(wiki.BaseUrl, Ct) == "Not signed in");
        var delivery = await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<LogoutDelivery>().AsNoTracking().SingleAsync(Ct));
        Assert.Equal((SimpleSsoBackChannelLogout.ChannelName, "wiki", LogoutDeliveryStatus.Delivered), (delivery.Channel, delivery.ClientId, delivery.Status));
        // django-simple-sso clients cannot be told: the legacy app stays signed in until its own session ends.
        Assert.Equal("Signed in as alice ()", await browser.GetStringAsync(legacy.BaseUrl, Ct));
    }

    [Fact]
    public async Task Signing_out_of_the_app_ends_the_sso_session_and_returns_to_the_app()
    {
        await using var factory = new LatchkeyServerFactory();
        var server = factory.UseRealKestrel();
        var user = await factory.CreateUserAsync("bob", Password);
        await using var wiki = await RegisterAsync(factory, server, "wiki", backChannel: true);
        await using var blog = await RegisterAsync(factory, server, "blog", backChannel: true);
        using var browser = NewBrowser();
        await SignInThroughAppAsync(browser, wiki, "bob");
        using (var second = await browser.GetAsync(new Uri(blog.BaseUrl, "private"), Ct))
        {
            Assert.Equal("Private for bob", await second.Content.ReadAsStringAsync(Ct));
        }

        using var signedOut = await browser.GetAsync(new Uri(wiki.BaseUrl, "signout"), Ct);

        Assert.Equal(wiki.BaseUrl, signedOut.RequestMessage!.RequestUri);
        Assert.Equal("Not signed in", await signedOut.Content.ReadAsStringAsync(Ct));
        var session = Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id));
        Assert.Equal(SsoSessionEndReasons.Logout, session.EndReason);
        await UntilAsync(async () => await browser.GetStringAsync(blog.BaseUrl, Ct) == "Not signed in");
        using var server2 = await browser.GetAsync(server, Ct);
        Assert.Null((await HtmlForms.ParseAsync(server2)).QuerySelector("#signed-in"));
    }

    [Fact]
    public async Task Signing_out_of_the_app_frames_front_channel_logout_of_the_sessions_oidc_apps_before_returning()
    {
        await using var factory = new LatchkeyServerFactory();
        var server = factory.UseRealKestrel();
        var user = await factory.CreateUserAsync("carol", Password);
        await using var wiki = await RegisterAsync(factory, server, "wiki", backChannel: true);
        await factory.WithScopeAsync(async services =>
        {
            var descriptor = new OpenIddict.Abstractions.OpenIddictApplicationDescriptor
            {
                ClientId = "rp-front",
                ClientType = OpenIddict.Abstractions.OpenIddictConstants.ClientTypes.Public,
                DisplayName = "rp-front",
            };
            descriptor.RedirectUris.Add(new Uri("https://front.example/callback"));
            descriptor.Properties["frontchannel_logout_uri"] = System.Text.Json.JsonSerializer.SerializeToElement("https://front.example/logout");
            await services.GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>().CreateAsync(descriptor, Ct);
        });
        using var browser = NewBrowser();
        await SignInThroughAppAsync(browser, wiki, "carol");
        var sessionId = Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id)).Id;
        await factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().RecordParticipantAsync(sessionId, SsoProtocols.Oidc, "rp-front", Ct));

        using var signedOut = await browser.GetAsync(new Uri(wiki.BaseUrl, "signout"), Ct);

        Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        var page = await HtmlForms.ParseAsync(signedOut);
        Assert.Equal(["https://front.example/logout"], page.QuerySelectorAll("iframe.frontchannel-logout").Select(f => f.GetAttribute("src")).ToList());
        Assert.Equal(wiki.BaseUrl.AbsoluteUri, page.QuerySelector("#continue")?.GetAttribute("href"));
        var policy = Assert.Single(signedOut.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-src https://front.example", policy, StringComparison.Ordinal);
        Assert.Equal(SsoSessionEndReasons.Logout, Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id)).EndReason);
    }

    [Fact]
    public async Task The_logout_endpoint_refuses_bad_requests_without_ending_anything()
    {
        await using var factory = new LatchkeyServerFactory();
        var server = factory.UseRealKestrel();
        var user = await factory.CreateUserAsync("cy", Password);
        await using var wiki = await RegisterAsync(factory, server, "wiki", backChannel: true);
        using var browser = NewBrowser();
        await SignInThroughAppAsync(browser, wiki, "cy");
        var sessionId = Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id)).Id;
        var signer = new Latchkey.SimpleSso.TimedSigner(wiki.PrivateKey);
        string Token(string next, string? session = null, string? key = null) =>
            Latchkey.SimpleSso.UrlSafeToken.Seal(new Latchkey.SimpleSso.ClientLogoutRequest(next, session).ToJson(), key is null ? signer : new Latchkey.SimpleSso.TimedSigner(key), DateTimeOffset.UtcNow);
        var home = wiki.BaseUrl.AbsoluteUri;
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });

        async Task<HttpStatusCode> CallAsync(string query)
        {
            using var response = await http.GetAsync(new Uri(server, "sso/logout/" + query), Ct);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.BadRequest, await CallAsync("?token=" + Uri.EscapeDataString(Token(home, sessionId.ToString("D")))));
        Assert.Equal(HttpStatusCode.BadRequest, await CallAsync("?key=unknown&token=" + Uri.EscapeDataString(Token(home, sessionId.ToString("D")))));
        Assert.Equal(HttpStatusCode.BadRequest, await CallAsync("?key=" + wiki.PublicKey + "&token=" + Uri.EscapeDataString(Token(home, sessionId.ToString("D"), key: "forged-key-0123456789"))));
        Assert.Equal(HttpStatusCode.BadRequest, await CallAsync("?key=" + wiki.PublicKey + "&token=" + Uri.EscapeDataString(Token("https://evil.example/", sessionId.ToString("D")))));
        Assert.Equal(HttpStatusCode.BadRequest, await CallAsync("?key=" + wiki.PublicKey + "&token=" + Uri.EscapeDataString(Token(home, "not-a-session"))));
        Assert.Equal(HttpStatusCode.BadRequest, await CallAsync("?key=" + wiki.PublicKey));
        Assert.Null(Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id)).EndedAt);

        // Another consumer cannot end a session it did not take part in (it still gets its redirect).
        var other = await factory.CreateConsumerAsync("other", wiki.BaseUrl.GetLeftPart(UriPartial.Authority));
        var foreign = Latchkey.SimpleSso.UrlSafeToken.Seal(new Latchkey.SimpleSso.ClientLogoutRequest(home, sessionId.ToString("D")).ToJson(), new Latchkey.SimpleSso.TimedSigner(other.PrivateKey), DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.Redirect, await CallAsync("?key=" + other.PublicKey + "&token=" + Uri.EscapeDataString(foreign)));
        Assert.Null(Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id)).EndedAt);

        Assert.Equal(HttpStatusCode.Redirect, await CallAsync("?key=" + wiki.PublicKey + "&token=" + Uri.EscapeDataString(Token(home, sessionId.ToString("D")))));
        Assert.Equal(SsoSessionEndReasons.Logout, Assert.Single(await SsoSessionTests.SessionsOfAsync(factory, user.Id)).EndReason);
    }
}
