using System.Net;
using Latchkey.Server.Sessions;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.Sessions.SsoSessionTests;

namespace Latchkey.Server.Tests.Sessions;

/// <summary><c>/account/sessions</c> and the administrator's <c>/admin/users/sessions</c>: list, end one, end the others, CSRF, someone else's id.</summary>
public sealed class SessionPagesTests
{
    private const string Password = "correct horse battery";
    private const string Firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private const string IPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpClient> SignInWithAsync(LatchkeyServerFactory factory, string userName, string userAgent)
    {
        var browser = factory.CreateBrowser();
        browser.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        using var login = await LoginForm.SubmitAsync(browser, userName, Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return browser;
    }

    private static async Task<AngleSharp.Html.Dom.IHtmlDocument> PageAsync(HttpClient browser, string path)
    {
        using var page = await browser.GetAsync(path, Ct);
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path}: {(int)page.StatusCode} {await page.Content.ReadAsStringAsync(Ct)}");
        return await HtmlForms.ParseAsync(page);
    }

    private static async Task<HttpResponseMessage> EndAsync(HttpClient browser, string path, string sessionId)
    {
        var document = await PageAsync(browser, path);
        return await HtmlForms.SubmitAsync(browser, document, new Uri(browser.BaseAddress!, path), new Dictionary<string, string?> { ["id"] = sessionId }, "form.end-session");
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task A_user_sees_their_sessions_with_device_place_and_apps_and_ends_one(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        var user = await factory.CreateUserAsync("dora", Password);
        var laptop = await SignInWithAsync(factory, "dora", Firefox);
        var phone = await SignInWithAsync(factory, "dora", IPhone);
        var phoneSession = (await SessionsOfAsync(factory, user.Id)).Single(s => s.UserAgent == IPhone).Id;
        await factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().RecordParticipantAsync(phoneSession, SsoProtocols.SimpleSso, "wiki", Ct));

        var page = await PageAsync(laptop, "/account/sessions");
        var rows = page.QuerySelectorAll("#sessions tbody tr");
        Assert.Equal(2, rows.Length);
        var current = Assert.Single(rows, r => r.ClassList.Contains("current"));
        Assert.Contains("Firefox 133 on Windows", current.TextContent, StringComparison.Ordinal);
        var other = Assert.Single(rows, r => !r.ClassList.Contains("current"));
        Assert.Contains("Safari 17 on iPhone", other.TextContent, StringComparison.Ordinal);
        Assert.Contains("simple-sso: wiki", other.TextContent, StringComparison.Ordinal);

        using var ended = await EndAsync(laptop, "/account/sessions", phoneSession.ToString("D"));

        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        Assert.Null(await SignedInNameAsync(phone));
        Assert.NotNull(await SignedInNameAsync(laptop));
        Assert.Equal(SsoSessionEndReasons.EndedByUser, (await SessionsOfAsync(factory, user.Id)).Single(s => s.Id == phoneSession).EndReason);
        Assert.Single((await PageAsync(laptop, "/account/sessions")).QuerySelectorAll("#sessions tbody tr"));
    }

    [Fact]
    public async Task Ending_someone_elses_session_or_an_unknown_id_is_404_and_changes_nothing()
    {
        await using var factory = new LatchkeyServerFactory();
        var eve = await factory.CreateUserAsync("eve", Password);
        var bob = await factory.CreateUserAsync("bob", Password);
        var eveBrowser = await SignInWithAsync(factory, "eve", Firefox);
        var bobBrowser = await SignInWithAsync(factory, "bob", IPhone);
        var bobSession = Assert.Single(await SessionsOfAsync(factory, bob.Id)).Id;

        using (var foreign = await EndAsync(eveBrowser, "/account/sessions", bobSession.ToString("D")))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        using (var malformed = await EndAsync(eveBrowser, "/account/sessions", "not-a-guid"))
        {
            Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        }

        Assert.Equal("Signed in as bob.", await SignedInNameAsync(bobBrowser));
        Assert.Null(Assert.Single(await SessionsOfAsync(factory, bob.Id)).EndedAt);
        Assert.Null(Assert.Single(await SessionsOfAsync(factory, eve.Id)).EndedAt);
    }

    [Fact]
    public async Task Posting_without_the_antiforgery_token_is_refused()
    {
        await using var factory = new LatchkeyServerFactory();
        var user = await factory.CreateUserAsync("fay", Password);
        var browser = await SignInWithAsync(factory, "fay", Firefox);
        var other = await SignInWithAsync(factory, "fay", IPhone);
        var otherSession = (await SessionsOfAsync(factory, user.Id)).Single(s => s.UserAgent == IPhone).Id;

        using var forged = await browser.PostAsync("/account/sessions?handler=End", new FormUrlEncodedContent([new("id", otherSession.ToString("D"))]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.NotNull(await SignedInNameAsync(other));
    }

    [Fact]
    public async Task Sign_out_everywhere_else_keeps_only_this_browser_and_ending_the_current_one_signs_out()
    {
        await using var factory = new LatchkeyServerFactory();
        var user = await factory.CreateUserAsync("gus", Password);
        var here = await SignInWithAsync(factory, "gus", Firefox);
        var there = await SignInWithAsync(factory, "gus", IPhone);
        var elsewhere = await SignInWithAsync(factory, "gus", IPhone);

        var page = await PageAsync(here, "/account/sessions");
        using (var response = await HtmlForms.SubmitAsync(here, page, new Uri(here.BaseAddress!, "/account/sessions"), formSelector: "#end-others"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }

        Assert.Null(await SignedInNameAsync(there));
        Assert.Null(await SignedInNameAsync(elsewhere));
        var current = Assert.Single(await SessionsOfAsync(factory, user.Id), s => s.EndedAt is null);
        Assert.Equal("Signed in as gus.", await SignedInNameAsync(here));

        using var signOut = await EndAsync(here, "/account/sessions", current.Id.ToString("D"));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Null(await SignedInNameAsync(here));
    }

    [Fact]
    public async Task The_sessions_page_needs_a_signed_in_user()
    {
        await using var factory = new LatchkeyServerFactory();
        using var response = await factory.CreateBrowser().GetAsync("/account/sessions", Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.OriginalString.Replace("http://localhost", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_administrator_sees_and_ends_any_users_sessions_and_non_admins_cannot()
    {
        await using var factory = new LatchkeyServerFactory();
        var user = await factory.CreateUserAsync("hal", Password);
        var victim = await SignInWithAsync(factory, "hal", IPhone);
        var second = await SignInWithAsync(factory, "hal", Firefox);
        var admin = await factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);
        var target = (await SessionsOfAsync(factory, user.Id)).Single(s => s.UserAgent == IPhone).Id;

        var list = await PageAsync(admin, "/admin/users/sessions?userName=hal");
        Assert.Equal(2, list.QuerySelectorAll("#sessions tbody tr").Length);
        Assert.NotNull((await PageAsync(admin, "/admin/users")).QuerySelector("a[href='/admin/users/sessions?userName=hal']"));

        using (var ended = await EndAsync(admin, "/admin/users/sessions?userName=hal", target.ToString("D")))
        {
            Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        }

        Assert.Null(await SignedInNameAsync(victim));
        Assert.Equal("Signed in as hal.", await SignedInNameAsync(second));
        Assert.Equal(SsoSessionEndReasons.EndedByAdmin, (await SessionsOfAsync(factory, user.Id)).Single(s => s.Id == target).EndReason);

        // A session id of another user through this user's page is not found.
        var adminSession = Assert.Single(await SessionsOfAsync(factory, (await factory.FindUserAsync(LatchkeyServerFactory.AdminUserName))!.Id)).Id;
        using (var foreign = await EndAsync(admin, "/admin/users/sessions?userName=hal", adminSession.ToString("D")))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        var endAll = await PageAsync(admin, "/admin/users/sessions?userName=hal");
        using (var all = await HtmlForms.SubmitAsync(admin, endAll, new Uri(admin.BaseAddress!, "/admin/users/sessions?userName=hal"), formSelector: "#end-all"))
        {
            Assert.Equal(HttpStatusCode.Redirect, all.StatusCode);
        }

        Assert.Null(await SignedInNameAsync(second));
        using (var unknown = await admin.GetAsync("/admin/users/sessions?userName=nobody", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        var plain = await SignInWithAsync(factory, "hal", Firefox);
        using var forbidden = await plain.GetAsync("/admin/users/sessions?userName=hal", Ct);
        Assert.NotEqual(HttpStatusCode.OK, forbidden.StatusCode);
    }

    [Theory]
    [InlineData(Firefox, "Firefox 133 on Windows")]
    [InlineData(IPhone, "Safari 17 on iPhone")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on Linux")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131 on Windows")]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari 18 on macOS")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome 131 on Android")]
    [InlineData("", "Unknown browser on unknown device")]
    [InlineData("curl/8.5.0", "curl on unknown device")]
    public void Devices_are_named_from_the_user_agent(string userAgent, string expected) =>
        Assert.Equal(expected, UserAgentDevice.Describe(userAgent));
}
