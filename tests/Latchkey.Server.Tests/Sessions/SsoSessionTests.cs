using System.Net;
using Latchkey.Server.Pages.Admin;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.SimpleSso;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>The server-side SSO session behind the login cookie: created at sign-in, checked on every request, ended by logout and by admin actions.</summary>
public sealed class SsoSessionTests
{
    private const string Password = "correct horse battery";
    private const string Origin = "https://app.example";
    private const string RedirectTo = Origin + "/sso/authenticate/?next=%2F";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LatchkeyServerFactory NewServer(LatchkeyTestStorage storage)
    {
        var factory = LatchkeyServerFactory.For(storage, useFakeTime: true);
        factory.WithServices(SessionTestEndpoints.Register);
        return factory;
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Signing_in_starts_a_session_and_the_cookie_carries_sid_auth_time_and_amr(LatchkeyTestStorage storage)
    {
        await using var factory = NewServer(storage);
        var user = await factory.CreateUserAsync("alice", Password);
        var browser = factory.CreateBrowser();
        browser.DefaultRequestHeaders.UserAgent.ParseAdd("SessionTest/1.0");
        using (var login = await LoginForm.SubmitAsync(browser, "alice", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        var sessions = await SessionsOfAsync(factory, user.Id);
        var session = Assert.Single(sessions);
        Assert.Null(session.EndedAt);
        Assert.Equal(["pwd"], session.AuthMethods);
        Assert.Equal(factory.Time!.GetUtcNow(), session.AuthenticatedAt);
        Assert.Equal(session.AuthenticatedAt, session.CreatedAt);
        Assert.Equal("SessionTest/1.0", session.UserAgent);

        var claims = await SessionTestEndpoints.ClaimsAsync(browser);
        Assert.Contains(("sid", session.Id.ToString("D")), claims);
        Assert.Contains(("auth_time", factory.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)), claims);
        Assert.Equal(["pwd"], claims.Where(c => c.Type == "amr").Select(c => c.Value));
    }

    [Fact]
    public async Task Signing_in_again_as_the_same_user_renews_the_session_and_keeps_its_participants()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        var user = await factory.CreateUserAsync("amy", Password);
        var browser = await factory.SignInAsync("amy", Password);
        var sessionId = Assert.Single(await SessionsOfAsync(factory, user.Id)).Id;
        await factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().RecordParticipantAsync(sessionId, SsoProtocols.SimpleSso, "wiki", Ct));

        factory.Time!.Advance(TimeSpan.FromMinutes(10));
        using (var again = await LoginForm.SubmitAsync(browser, "amy", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        }

        var session = Assert.Single(await SessionsOfAsync(factory, user.Id));
        Assert.Equal((sessionId, (DateTimeOffset?)null), (session.Id, session.EndedAt));
        Assert.Equal(factory.Time.GetUtcNow(), session.AuthenticatedAt);
        Assert.Equal("wiki", Assert.Single(session.Participants).ClientId);
        var claims = await SessionTestEndpoints.ClaimsAsync(browser);
        Assert.Contains(("sid", sessionId.ToString("D")), claims);
        Assert.Contains(("auth_time", factory.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)), claims);
    }

    [Fact]
    public async Task Another_user_signing_in_in_the_same_browser_ends_the_previous_session()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        var first = await factory.CreateUserAsync("ann", Password);
        var second = await factory.CreateUserAsync("ben", Password);
        var browser = await factory.SignInAsync("ann", Password);
        using (var other = await LoginForm.SubmitAsync(browser, "ben", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
        }

        Assert.Equal(SsoSessionEndReasons.Replaced, Assert.Single(await SessionsOfAsync(factory, first.Id)).EndReason);
        var current = Assert.Single(await SessionsOfAsync(factory, second.Id));
        Assert.Null(current.EndedAt);
        Assert.Contains(("sid", current.Id.ToString("D")), await SessionTestEndpoints.ClaimsAsync(browser));
        Assert.Equal("Signed in as ben.", await SignedInNameAsync(browser));
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task The_cookie_is_refused_as_soon_as_its_session_ends(LatchkeyTestStorage storage)
    {
        await using var factory = NewServer(storage);
        var user = await factory.CreateUserAsync("bob", Password);
        var browser = await factory.SignInAsync("bob", Password);
        Assert.Equal("Signed in as bob.", await SignedInNameAsync(browser));
        var sessionId = Assert.Single(await SessionsOfAsync(factory, user.Id)).Id;

        var ended = await factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().EndAsync(sessionId, "test", Ct));

        Assert.True(ended);
        Assert.Null(await SignedInNameAsync(browser));
        Assert.Empty(await SessionTestEndpoints.ClaimsAsync(browser));
        Assert.False(await factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().EndAsync(sessionId, "again", Ct)));
        Assert.Equal("test", Assert.Single(await SessionsOfAsync(factory, user.Id)).EndReason);
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task A_session_ended_by_another_node_is_refused_once_the_one_second_cache_has_aged(LatchkeyTestStorage storage)
    {
        await using var factory = NewServer(storage);
        var user = await factory.CreateUserAsync("carol", Password);
        var browser = await factory.SignInAsync("carol", Password);
        Assert.Equal("Signed in as carol.", await SignedInNameAsync(browser));

        // Another node shares only the database: its change does not touch this node's cache.
        var now = factory.Time!.GetUtcNow();
        await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SsoSession>()
            .Where(s => s.UserId == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now).SetProperty(x => x.EndReason, "other node"), Ct));
        factory.Time.Advance(SsoSessionStateCache.MaxAge);

        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task A_cookie_without_a_session_id_is_refused()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        await factory.CreateUserAsync("dave", Password);
        var browser = factory.CreateBrowser();
        using (var legacy = await browser.GetAsync(SessionTestEndpoints.LegacySignInPath + "?user=dave"))
        {
            Assert.Contains(legacy.Headers.GetValues("Set-Cookie"), c => c.StartsWith("latchkey.session=", StringComparison.Ordinal));
        }

        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Last_seen_is_written_at_most_once_a_minute_and_the_stamp_check_keeps_the_session_claims()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        var user = await factory.CreateUserAsync("erin", Password);
        var browser = await factory.SignInAsync("erin", Password);
        var signedInAt = factory.Time!.GetUtcNow();

        factory.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.NotNull(await SignedInNameAsync(browser));
        Assert.Equal(signedInAt, Assert.Single(await SessionsOfAsync(factory, user.Id)).LastSeenAt);

        factory.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.NotNull(await SignedInNameAsync(browser));
        var session = Assert.Single(await SessionsOfAsync(factory, user.Id));
        Assert.Equal(factory.Time.GetUtcNow(), session.LastSeenAt);

        // Past Identity's one-minute security-stamp interval the principal is rebuilt from the user; the session must survive it.
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.NotNull(await SignedInNameAsync(browser));
        Assert.NotNull(await SignedInNameAsync(browser));
        var claims = await SessionTestEndpoints.ClaimsAsync(browser);
        Assert.Contains(("sid", session.Id.ToString("D")), claims);
        Assert.Contains(("amr", "pwd"), claims);
        Assert.Contains(claims, c => c.Type == "auth_time");
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Logout_ends_the_session_and_simple_sso_then_sends_the_browser_to_the_login_page(LatchkeyTestStorage storage)
    {
        await using var factory = NewServer(storage);
        var user = await factory.CreateUserAsync("frank", Password);
        var created = await factory.CreateConsumerAsync("wiki", Origin);
        var keys = new SsoKeys(created.PublicKey, created.PrivateKey);
        var browser = await factory.SignInAsync("frank", Password);
        var wire = new SimpleSsoWire(factory.CreateClient());

        // Logging into the consumer records it as a participant, once however often it happens.
        for (var i = 0; i < 2; i++)
        {
            var token = await wire.GetRequestTokenAsync(keys, RedirectTo, factory.Time!.GetUtcNow());
            using var authorized = await browser.GetAsync("/sso/authorize/?token=" + token, Ct);
            Assert.Equal(HttpStatusCode.Redirect, authorized.StatusCode);
            Assert.StartsWith(RedirectTo + "&access_token=", authorized.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        var session = Assert.Single(await SessionsOfAsync(factory, user.Id));
        var participant = Assert.Single(session.Participants);
        Assert.Equal(("simple-sso", "wiki"), (participant.Protocol, participant.ClientId));

        using (var logout = await SubmitLogoutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
            Assert.NotNull((await HtmlForms.ParseAsync(logout)).QuerySelector("#signed-out"));
        }

        var ended = Assert.Single(await SessionsOfAsync(factory, user.Id));
        Assert.Equal(SsoSessionEndReasons.Logout, ended.EndReason);
        Assert.Equal(factory.Time!.GetUtcNow(), ended.EndedAt);

        var next = await wire.GetRequestTokenAsync(keys, RedirectTo, factory.Time.GetUtcNow());
        using var afterLogout = await browser.GetAsync("/sso/authorize/?token=" + next, Ct);
        Assert.Equal(HttpStatusCode.Redirect, afterLogout.StatusCode);
        Assert.StartsWith("/account/login?returnUrl=", afterLogout.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_copy_of_the_cookie_is_refused_after_logout()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        await factory.CreateUserAsync("gina", Password);
        var cookies = new CookieContainer();
        var browser = await factory.SignInAsync("gina", Password, cookies);
        var stolen = new CookieContainer();
        foreach (Cookie cookie in cookies.GetAllCookies())
        {
            stolen.Add(cookie);
        }

        using (var logout = await SubmitLogoutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        Assert.Null(await SignedInNameAsync(factory.CreateBrowser(cookies: stolen)));
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Disabling_a_user_or_setting_their_password_ends_all_their_sessions_at_once(LatchkeyTestStorage storage)
    {
        await using var factory = NewServer(storage);
        var user = await factory.CreateUserAsync("hank", Password);
        await factory.CreateUserAsync("ivy", Password);
        var laptop = await factory.SignInAsync("hank", Password);
        var phone = await factory.SignInAsync("hank", Password);
        var bystander = await factory.SignInAsync("ivy", Password);

        var disabled = await factory.WithScopeAsync(services => UserAdministration.From(services).SetActiveAsync("hank", active: false));

        Assert.True(disabled.Succeeded);
        Assert.Null(await SignedInNameAsync(laptop));
        Assert.Null(await SignedInNameAsync(phone));
        Assert.Equal("Signed in as ivy.", await SignedInNameAsync(bystander));
        var sessions = await SessionsOfAsync(factory, user.Id);
        Assert.Equal(2, sessions.Count);
        Assert.All(sessions, s => Assert.Equal(SsoSessionEndReasons.UserDisabled, s.EndReason));

        Assert.True((await factory.WithScopeAsync(services => UserAdministration.From(services).SetActiveAsync("hank", active: true))).Succeeded);
        var again = await factory.SignInAsync("hank", Password);
        var againSid = (await SessionTestEndpoints.ClaimsAsync(again)).Single(c => c.Type == "sid").Value;
        Assert.True((await factory.WithScopeAsync(services => UserAdministration.From(services).SetPasswordAsync("hank", "a brand new password"))).Succeeded);
        Assert.Null(await SignedInNameAsync(again));
        var ended = (await SessionsOfAsync(factory, user.Id)).Single(s => s.Id.ToString("D") == againSid);
        Assert.Equal(SsoSessionEndReasons.PasswordChanged, ended.EndReason);
    }

    [Fact]
    public async Task A_failed_login_starts_no_session()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        var user = await factory.CreateUserAsync("jack", Password);

        using var login = await LoginForm.SubmitAsync(factory.CreateBrowser(), "jack", "wrong password");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Empty(await SessionsOfAsync(factory, user.Id));
    }

    internal static async Task<HttpResponseMessage> SubmitLogoutAsync(HttpClient browser, string? returnUrl = null)
    {
        var pageUri = new Uri(browser.BaseAddress!, returnUrl is null ? "/account/logout" : "/account/logout?returnUrl=" + Uri.EscapeDataString(returnUrl));
        using var page = await browser.GetAsync(pageUri);
        page.EnsureSuccessStatusCode();
        return await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(page), pageUri);
    }

    internal static Task<List<SsoSession>> SessionsOfAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SsoSession>().AsNoTracking()
            .Include(s => s.Participants)
            .Where(s => s.UserId == userId)
            .ToListAsync(Ct));

    internal static async Task<string?> SignedInNameAsync(HttpClient browser)
    {
        using var response = await browser.GetAsync("/");
        return (await HtmlForms.ParseAsync(response)).QuerySelector("#signed-in")?.TextContent.Trim();
    }
}
