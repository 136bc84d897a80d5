using System.Net;
using Latchkey.Server.Sessions;
using Latchkey.Server.SimpleSso;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.SimpleSso;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>One SSO session, two protocols; max_age against the session's authentication time.</summary>
public sealed class SessionTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new(useFakeTime: true);

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task A_user_signed_in_through_a_simple_sso_app_gets_an_oidc_code_silently_and_oidc_logout_ends_both()
    {
        var consumer = await _host.Factory.CreateConsumerAsync("wiki", "https://wiki.example");
        var keys = new SsoKeys(consumer.PublicKey, consumer.PrivateKey);
        var wire = new SimpleSsoWire(_host.Factory.CreateClient());
        var browser = _host.Factory.CreateBrowser();

        // simple-sso: authorize → login form → back to authorize → redirect to the consumer.
        var requestToken = await wire.GetRequestTokenAsync(keys, "https://wiki.example/sso/", _host.Factory.Time!.GetUtcNow());
        using var toLogin = await browser.GetAsync("/sso/authorize/?token=" + requestToken);
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        using var login = await LoginForm.SubmitAsync(browser, UserName, Password, "/sso/authorize/?token=" + requestToken);
        using var toConsumer = await browser.GetAsync(login.Headers.Location!.OriginalString);
        Assert.StartsWith("https://wiki.example/sso/", toConsumer.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);

        // OIDC on the same cookie: prompt=none answers with a code, no login page.
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(browser, client, pkce, extra: ("prompt", "none"));
        var (_, tokens) = await _host.RedeemCodeAsync(client, code, pkce);
        var idToken = tokens.GetProperty("id_token").GetString()!;
        var sid = Guid.Parse(ReadJwt(idToken).GetClaim("sid").Value);

        // Both apps are participants of the one session.
        var participants = await _host.Factory.WithScopeAsync(services =>
            services.GetRequiredService<Storage.LatchkeyDbContext>().Set<SsoSessionParticipant>().AsNoTracking()
                .Where(p => p.SessionId == sid).Select(p => p.Protocol + ":" + p.ClientId).ToListAsync());
        Assert.Contains("oidc:web", participants);
        Assert.Contains("simple-sso:wiki", participants);

        // OIDC logout ends the session: the simple-sso app's next authorize asks for a login again.
        using var logout = await browser.GetAsync(QueryHelpers.AddQueryString("/connect/logout", new Dictionary<string, string?>
        {
            ["id_token_hint"] = idToken,
            ["post_logout_redirect_uri"] = client.PostLogoutRedirectUri,
        }));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        var session = await _host.Factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().FindActiveAsync(sid, CancellationToken.None));
        Assert.Null(session);
        var nextToken = await wire.GetRequestTokenAsync(keys, "https://wiki.example/sso/", _host.Factory.Time!.GetUtcNow());
        using var again = await browser.GetAsync("/sso/authorize/?token=" + nextToken);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.StartsWith("/account/login", again.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_age_exceeded_forces_a_new_login_whose_auth_time_is_fresh()
    {
        var client = await _host.CreateClientAsync("web");
        var browser = await _host.SignInAsync();
        var signedInAt = _host.Factory.Time!.GetUtcNow();

        // Within max_age: silent.
        var pkce = Pkce.Create();
        var first = await _host.GetCodeAsync(browser, client, pkce, extra: ("max_age", "60"));
        var (_, firstTokens) = await _host.RedeemCodeAsync(client, first, pkce);
        Assert.Equal(signedInAt.ToUnixTimeSeconds(), ReadJwt(firstTokens.GetProperty("id_token").GetString()!).GetPayloadValue<long>("auth_time"));

        _host.Factory.Time.Advance(TimeSpan.FromSeconds(5));

        using var none = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: [("max_age", "1"), ("prompt", "none")]));
        Assert.Equal("login_required", RedirectParameters(none, client)["error"]);

        pkce = Pkce.Create();
        using var toLogin = await browser.GetAsync(AuthorizeUrl(client, pkce, extra: ("max_age", "1")));
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        var location = new Uri(new Uri("http://localhost"), toLogin.Headers.Location!.OriginalString);
        Assert.Equal("/account/login", location.AbsolutePath);
        var returnUrl = QueryHelpers.ParseQuery(location.Query)["returnUrl"].ToString();
        using var login = await LoginForm.SubmitAsync(browser, UserName, Password, returnUrl);
        using var back = await browser.GetAsync(login.Headers.Location!.OriginalString);
        var parameters = RedirectParameters(back, client);
        var (_, tokens) = await _host.RedeemCodeAsync(client, parameters["code"], pkce);
        var authTime = ReadJwt(tokens.GetProperty("id_token").GetString()!).GetPayloadValue<long>("auth_time");
        Assert.Equal(_host.Factory.Time.GetUtcNow().ToUnixTimeSeconds(), authTime);
        Assert.True(authTime > signedInAt.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task A_slow_consent_decision_does_not_send_the_user_back_to_login_for_max_age()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var browser = await _host.SignInAsync();
        var url = AuthorizeUrl(client, Pkce.Create(), scope: "openid", extra: ("max_age", "30"));
        using var page = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        _host.Factory.Time!.Advance(TimeSpan.FromMinutes(2));
        using var decided = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(page), new Uri(browser.BaseAddress!, url),
            new Dictionary<string, string?> { ["submit.Accept"] = "x" });

        Assert.True(RedirectParameters(decided, client).ContainsKey("code"));
    }
}
