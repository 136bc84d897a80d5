using System.Net;
using Latchkey.SimpleSso;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.SimpleSso.SimpleSsoServerFixture;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary><c>GET /sso/authorize/?token=</c>: protocol §3.2, with one-time binding (§9 weakness 2).</summary>
public abstract class AuthorizeEndpointTests(SimpleSsoServerFixture server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_signed_in_user_is_sent_back_with_a_signed_access_token_whose_hash_is_stored()
    {
        var keys = await server.NewConsumerAsync();
        var user = await server.NewUserAsync();
        var browser = await server.SignedInBrowserAsync(user);
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        using var response = await AuthorizeAsync(browser, requestToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var signed = SignedAccessTokenOf(response);
        Assert.Equal(RedirectTo + "&access_token=" + signed, response.Headers.Location!.OriginalString);
        Assert.Matches("^I[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27}$", signed);
        var accessToken = SimpleSsoWire.OpenAccessToken(signed, keys.PrivateKey);
        Assert.True(SimpleSsoTokens.IsWellFormed(accessToken));
        Assert.Equal(UrlSafeToken.Seal(accessToken, new TimedSigner(keys.PrivateKey), server.Now), signed);

        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(["no-referrer"], response.Headers.GetValues("Referrer-Policy"));

        var row = await server.FindTokenByRequestTokenAsync(requestToken);
        Assert.Equal(Sha256Hex(accessToken), row!.AccessTokenHash);
        Assert.Equal((await server.Factory.FindUserAsync(user))!.Id, row.UserId);
        Assert.Equal(server.Now, row.BoundAt);
        Assert.Equal(server.Now + TimeSpan.FromMinutes(5), row.ExpiresAt);
    }

    [Fact]
    public async Task An_anonymous_browser_is_sent_to_the_login_page_and_back()
    {
        var keys = await server.NewConsumerAsync();
        var user = await server.NewUserAsync();
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);
        var browser = server.Factory.CreateBrowser();

        using var response = await AuthorizeAsync(browser, requestToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?returnUrl=%2Fsso%2Fauthorize%2F%3Ftoken%3D" + requestToken, response.Headers.Location!.OriginalString);
        Assert.Null((await server.FindTokenByRequestTokenAsync(requestToken))!.UserId);

        // Through the real login form, the return URL leads back to authorize, which now binds.
        using var login = await Infrastructure.LoginForm.SubmitAsync(browser, user, Password, "/sso/authorize/?token=" + requestToken);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/sso/authorize/?token=" + requestToken, login.Headers.Location!.OriginalString);
        using var back = await AuthorizeAsync(browser, requestToken);
        SimpleSsoWire.OpenAccessToken(SignedAccessTokenOf(back), keys.PrivateKey);
    }

    [Fact]
    public async Task Anonymous_visits_do_not_extend_the_token_lifetime()
    {
        var keys = await server.NewConsumerAsync();
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);
        var expiresAt = (await server.FindTokenByRequestTokenAsync(requestToken))!.ExpiresAt;

        server.Time.Advance(TimeSpan.FromMinutes(1));
        using var response = await AuthorizeAsync(server.Factory.CreateBrowser(), requestToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expiresAt, (await server.FindTokenByRequestTokenAsync(requestToken))!.ExpiresAt);
    }

    [Theory]
    [InlineData("/sso/authorize/")]
    [InlineData("/sso/authorize/?token=")]
    [InlineData("/sso/authorize/?request_token=abc")]
    public async Task A_missing_token_is_refused(string url)
    {
        using var response = await server.Factory.CreateBrowser().GetAsync(url, Ct);

        await AssertRefusedAsync(response, SimpleSsoError.TokenMissing);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("%00%01")]
    [InlineData("%E9%E9")]
    [InlineData("a%20b")]
    public async Task Unknown_or_malformed_tokens_are_not_found(string token)
    {
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());

        using var response = await browser.GetAsync("/sso/authorize/?token=" + token, Ct);

        await AssertRefusedAsync(response, SimpleSsoError.TokenNotFound);
    }

    [Fact]
    public async Task An_expired_token_times_out_and_is_deleted()
    {
        var keys = await server.NewConsumerAsync();
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        server.Time.Advance(TimeSpan.FromMinutes(5));
        using var response = await AuthorizeAsync(browser, requestToken);

        await AssertRefusedAsync(response, SimpleSsoError.TokenTimedOut);
        Assert.Null(await server.FindTokenByRequestTokenAsync(requestToken));
        using var again = await AuthorizeAsync(browser, requestToken);
        await AssertRefusedAsync(again, SimpleSsoError.TokenNotFound);
    }

    [Fact]
    public async Task A_token_just_before_expiry_still_binds()
    {
        var keys = await server.NewConsumerAsync();
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        server.Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        using var response = await AuthorizeAsync(browser, requestToken);

        SimpleSsoWire.OpenAccessToken(SignedAccessTokenOf(response), keys.PrivateKey);
    }

    [Fact]
    public async Task Opening_the_authorize_link_twice_fails_even_for_the_same_user()
    {
        var keys = await server.NewConsumerAsync();
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);
        using var first = await AuthorizeAsync(browser, requestToken);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);

        using var second = await AuthorizeAsync(browser, requestToken);
        using var anonymous = await AuthorizeAsync(server.Factory.CreateBrowser(), requestToken);

        await AssertRefusedAsync(second, SimpleSsoError.TokenAlreadyUsed);
        await AssertRefusedAsync(anonymous, SimpleSsoError.TokenAlreadyUsed);
    }

    /// <summary>
    /// Protocol §9 weakness 2: the attacker binds a request token, keeps the authenticate URL, and
    /// lures the victim to the same authorize link. In django-simple-sso the victim's visit rebinds the
    /// token, and the attacker's kept access token then logs in as the victim.
    /// </summary>
    [Fact]
    public async Task The_rebinding_attack_fails_the_victim_cannot_be_bound_to_the_attackers_token()
    {
        var keys = await server.NewConsumerAsync();
        var attackerName = await server.NewUserAsync();
        var victimName = await server.NewUserAsync();
        var attacker = await server.SignedInBrowserAsync(attackerName);
        var victim = await server.SignedInBrowserAsync(victimName);
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        using var attackerVisit = await AuthorizeAsync(attacker, requestToken);
        var keptAccessToken = SimpleSsoWire.OpenAccessToken(SignedAccessTokenOf(attackerVisit), keys.PrivateKey);

        using var victimVisit = await AuthorizeAsync(victim, requestToken);
        await AssertRefusedAsync(victimVisit, SimpleSsoError.TokenAlreadyUsed);
        Assert.Null(victimVisit.Headers.Location);

        // The kept token still names the attacker, never the victim.
        using var verify = await server.Wire().VerifyAsync(keys, keptAccessToken, server.Now);
        var body = await verify.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        Assert.Contains($"\"username\":\"{attackerName}\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain(victimName, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Of_concurrent_authorizes_exactly_one_binds()
    {
        var keys = await server.NewConsumerAsync();
        var browsers = new List<HttpClient>();
        for (var i = 0; i < 6; i++)
        {
            browsers.Add(await server.SignedInBrowserAsync(await server.NewUserAsync()));
        }

        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        var responses = await Task.WhenAll(browsers.Select(b => AuthorizeAsync(b, requestToken)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Redirect);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Redirect))
        {
            await AssertRefusedAsync(refused, SimpleSsoError.TokenAlreadyUsed);
        }
    }

    [Fact]
    public async Task A_disabled_user_is_denied_and_the_token_stays_unbound()
    {
        var keys = await server.NewConsumerAsync();
        var name = await server.NewUserAsync();
        var browser = await server.SignedInBrowserAsync(name);
        await server.Factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Storage.LatchkeyUser>>();
            var user = await users.FindByNameAsync(name);
            user!.IsActive = false;
            await users.UpdateAsync(user);
        });
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        using var response = await AuthorizeAsync(browser, requestToken);

        await AssertRefusedAsync(response, SimpleSsoError.AccessDenied);
        Assert.Null((await server.FindTokenByRequestTokenAsync(requestToken))!.UserId);
    }

    [Fact]
    public async Task HEAD_does_not_bind()
    {
        var keys = await server.NewConsumerAsync();
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        using var response = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/sso/authorize/?token=" + requestToken), Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Null((await server.FindTokenByRequestTokenAsync(requestToken))!.UserId);
    }
}

public sealed class AuthorizeEndpointTestsOnSqlite(SqliteSimpleSsoServer server) : AuthorizeEndpointTests(server), IClassFixture<SqliteSimpleSsoServer>;

public sealed class AuthorizeEndpointTestsOnPostgreSql(PostgreSqlSimpleSsoServer server) : AuthorizeEndpointTests(server), IClassFixture<PostgreSqlSimpleSsoServer>;
