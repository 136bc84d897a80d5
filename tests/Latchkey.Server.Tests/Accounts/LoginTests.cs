using System.Net;
using AngleSharp.Html.Dom;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Accounts;

public sealed class LoginTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly LatchkeyServerFactory _factory = new();

    public async ValueTask InitializeAsync() => await _factory.CreateUserAsync("alice", Password);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Success_redirects_to_the_local_return_url_and_signs_in()
    {
        var browser = _factory.CreateBrowser();

        using var response = await LoginForm.SubmitAsync(browser, "alice", Password, returnUrl: "/sso/authorize/?token=abc");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/sso/authorize/?token=abc", response.Headers.Location?.OriginalString);
        var home = await HtmlForms.ParseAsync(await browser.GetAsync("/"));
        Assert.Equal("Signed in as alice.", home.QuerySelector("#signed-in")?.TextContent.Trim());
    }

    [Fact]
    public async Task Success_without_return_url_redirects_home()
    {
        using var response = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", Password);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("https://evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("http:evil.example")]
    [InlineData("/%2F%2Fevil.example")]
    [InlineData("javascript:alert(1)")]
    public async Task Open_redirect_attempts_land_on_home(string returnUrl)
    {
        using var response = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", Password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Open_redirect_posted_directly_in_the_form_also_lands_on_home()
    {
        var browser = _factory.CreateBrowser();
        var pageUri = new Uri(browser.BaseAddress!, "/account/login");
        var page = await HtmlForms.ParseAsync(await browser.GetAsync(pageUri));

        using var response = await HtmlForms.SubmitAsync(browser, page, pageUri, new Dictionary<string, string?>
        {
            ["username"] = "alice",
            ["password"] = Password,
            ["returnUrl"] = "//evil.example/",
        });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_identical_answer()
    {
        using var wrongPassword = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", "not the password");
        using var unknownUser = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice-nobody", "not the password");

        Assert.Equal(HttpStatusCode.OK, wrongPassword.StatusCode);
        Assert.Equal(wrongPassword.StatusCode, unknownUser.StatusCode);
        var first = await HtmlForms.ParseAsync(wrongPassword);
        var second = await HtmlForms.ParseAsync(unknownUser);
        Assert.Equal("Invalid username or password.", ErrorText(first));
        Assert.Equal(ErrorText(first), ErrorText(second));
        Assert.Equal(Normalized(first, "alice"), Normalized(second, "alice-nobody"));
        Assert.Null(wrongPassword.Headers.Location);
        Assert.DoesNotContain(wrongPassword.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("latchkey.session", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Five_failures_lock_the_account_and_then_even_the_right_password_fails_the_same_way()
    {
        for (var i = 0; i < 5; i++)
        {
            using var failed = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", "wrong password " + i);
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }

        using var locked = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", Password);

        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        Assert.Equal("Invalid username or password.", ErrorText(await HtmlForms.ParseAsync(locked)));
        var lockedOut = await _factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            return await users.IsLockedOutAsync((await users.FindByNameAsync("alice"))!);
        });
        Assert.True(lockedOut);
    }

    [Fact]
    public async Task Four_failures_do_not_lock_and_a_success_resets_the_count()
    {
        for (var i = 0; i < 4; i++)
        {
            using var failed = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", "wrong password " + i);
        }

        using var success = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", Password);

        Assert.Equal(HttpStatusCode.Redirect, success.StatusCode);
        Assert.Equal(0, (await _factory.FindUserAsync("alice"))!.AccessFailedCount);
    }

    [Fact]
    public async Task Disabled_user_cannot_sign_in_and_gets_the_generic_message()
    {
        await _factory.CreateUserAsync("bob", Password, isActive: false);

        using var response = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "bob", Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Invalid username or password.", ErrorText(await HtmlForms.ParseAsync(response)));
    }

    [Fact]
    public async Task Post_without_antiforgery_token_is_rejected_with_400()
    {
        var browser = _factory.CreateBrowser();
        using var page = await browser.GetAsync("/account/login");

        using var response = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "alice",
            ["password"] = Password,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Logout_get_only_asks_and_post_signs_out()
    {
        var browser = await _factory.SignInAsync("alice", Password);
        var pageUri = new Uri(browser.BaseAddress!, "/account/logout");

        using var confirm = await browser.GetAsync(pageUri);
        var confirmPage = await HtmlForms.ParseAsync(confirm);
        Assert.Contains("alice", confirmPage.QuerySelector("main")!.TextContent, StringComparison.Ordinal);
        var stillSignedIn = await HtmlForms.ParseAsync(await browser.GetAsync("/"));
        Assert.NotNull(stillSignedIn.QuerySelector("#signed-in"));

        using var signedOut = await HtmlForms.SubmitAsync(browser, confirmPage, pageUri);

        Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        Assert.NotNull((await HtmlForms.ParseAsync(signedOut)).QuerySelector("#signed-out"));
        var home = await HtmlForms.ParseAsync(await browser.GetAsync("/"));
        Assert.Null(home.QuerySelector("#signed-in"));
    }

    [Fact]
    public async Task Logout_redirects_only_to_a_local_return_url()
    {
        var browser = await _factory.SignInAsync("alice", Password);
        var localUri = new Uri(browser.BaseAddress!, "/account/logout?returnUrl=%2Fsso%2Fdone");
        using var local = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(await browser.GetAsync(localUri)), localUri);
        Assert.Equal(HttpStatusCode.Redirect, local.StatusCode);
        Assert.Equal("/sso/done", local.Headers.Location?.OriginalString);

        var evilUri = new Uri(browser.BaseAddress!, "/account/logout?returnUrl=https%3A%2F%2Fevil.example%2F");
        using var evil = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(await browser.GetAsync(evilUri)), evilUri);
        Assert.Equal(HttpStatusCode.OK, evil.StatusCode);
        Assert.Null(evil.Headers.Location);
    }

    [Fact]
    public async Task Anonymous_user_on_a_protected_page_is_sent_to_login_with_return_url()
    {
        using var response = await _factory.CreateBrowser().GetAsync("/admin");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("http://localhost/account/login?returnUrl=%2Fadmin", response.Headers.Location?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signed_in_non_admin_is_denied_admin_pages()
    {
        var browser = await _factory.SignInAsync("alice", Password);

        using var response = await browser.GetAsync("/admin");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("http://localhost/account/denied", response.Headers.Location?.ToString(), StringComparison.Ordinal);
        using var denied = await browser.GetAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    private static string? ErrorText(IHtmlDocument page) => page.QuerySelector("#login-error")?.TextContent.Trim();

    // The page echoes the typed username and carries a fresh antiforgery token; everything else must match.
    private static string Normalized(IHtmlDocument page, string typedUserName)
    {
        var main = page.QuerySelector("main")!;
        foreach (var token in main.QuerySelectorAll("input[name=__RequestVerificationToken]"))
        {
            token.SetAttribute("value", "");
        }

        main.QuerySelector("#username")?.SetAttribute("value", "");
        return main.InnerHtml.Replace(typedUserName, "", StringComparison.Ordinal);
    }
}
