using System.Net;
using AngleSharp.Html.Dom;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Admin;

public sealed class AdminUserActionsTests : IAsyncLifetime
{
    private readonly LatchkeyServerFactory _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Granting_admin_opens_the_admin_area_and_revoking_closes_it()
    {
        await _server.CreateUserAsync("sam", "sam-password-123");
        using var admin = await SignInAdminAsync();

        using (var granted = await SubmitRowActionAsync(admin, "grantadmin", "sam"))
        {
            Assert.Equal(HttpStatusCode.Redirect, granted.StatusCode);
        }

        using (var sam = await _server.SignInAsync("sam", "sam-password-123"))
        using (var page = await sam.GetAsync("/admin/users", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        using (var revoked = await SubmitRowActionAsync(admin, "revokeadmin", "sam"))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode);
        }

        using var samAgain = await _server.SignInAsync("sam", "sam-password-123");
        using var denied = await samAgain.GetAsync("/admin/users", TestContext.Current.CancellationToken);
        Assert.Equal("/account/denied", denied.Headers.Location?.AbsolutePath);
    }

    [Fact]
    public async Task An_admin_cannot_disable_or_demote_themselves()
    {
        using var admin = await SignInAdminAsync();

        using var response = await SubmitRowActionAsync(admin, "disable", LatchkeyServerFactory.AdminUserName);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.True((await _server.FindUserAsync(LatchkeyServerFactory.AdminUserName))!.IsActive);
        var list = await admin.GetStringAsync("/admin/users", TestContext.Current.CancellationToken);
        Assert.Contains("You cannot do that to your own account.", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unlock_ends_a_lockout()
    {
        await _server.CreateUserAsync("lou", "lou-password-123");
        await _server.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            await users.SetLockoutEndDateAsync((await users.FindByNameAsync("lou"))!, TimeProvider.System.GetUtcNow().AddDays(1));
        });
        using var admin = await SignInAdminAsync();

        using var response = await SubmitRowActionAsync(admin, "unlock", "lou");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Null((await _server.FindUserAsync("lou"))!.LockoutEnd);
    }

    [Fact]
    public async Task Set_password_validates_and_then_replaces_the_password()
    {
        await _server.CreateUserAsync("val", "val-password-123");
        using var admin = await SignInAdminAsync();
        var pageUri = new Uri(admin.BaseAddress!, "/admin/users/password?userName=val");
        var page = await GetPageAsync(admin, pageUri.PathAndQuery);

        using var tooShort = await HtmlForms.SubmitAsync(admin, page, pageUri, new Dictionary<string, string?> { ["NewPassword"] = "tiny" }, "#set-password");
        Assert.Equal(HttpStatusCode.OK, tooShort.StatusCode);
        Assert.Contains("at least 8 characters", (await HtmlForms.ParseAsync(tooShort)).QuerySelector("#errors")!.TextContent, StringComparison.Ordinal);

        using var changed = await HtmlForms.SubmitAsync(admin, page, pageUri, new Dictionary<string, string?> { ["NewPassword"] = "val-new-password" }, "#set-password");
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        (await _server.SignInAsync("val", "val-new-password")).Dispose();
        await Assert.ThrowsAsync<InvalidOperationException>(() => _server.SignInAsync("val", "val-password-123"));
    }

    [Fact]
    public async Task Set_password_of_an_unknown_user_shows_an_error_not_a_500()
    {
        using var admin = await SignInAdminAsync();
        var pageUri = new Uri(admin.BaseAddress!, "/admin/users/password?userName=ghost");
        var page = await GetPageAsync(admin, pageUri.PathAndQuery);

        using var response = await HtmlForms.SubmitAsync(admin, page, pageUri, new Dictionary<string, string?> { ["NewPassword"] = "ghost-password-1" }, "#set-password");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("No user named 'ghost'.", (await HtmlForms.ParseAsync(response)).QuerySelector("#errors")!.TextContent, StringComparison.Ordinal);
    }

    private Task<HttpClient> SignInAdminAsync() => _server.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

    /// <summary>Submits the per-user button form (enable/disable/grant/revoke/unlock) from the users list.</summary>
    private static async Task<HttpResponseMessage> SubmitRowActionAsync(HttpClient admin, string handler, string userName)
    {
        var list = await GetPageAsync(admin, "/admin/users");
        var form = list.QuerySelectorAll("form").OfType<IHtmlFormElement>()
            .Single(f => QueryOf(f) is var query
                && query.Contains($"handler={handler}", StringComparer.OrdinalIgnoreCase)
                && query.Contains($"userName={userName}", StringComparer.OrdinalIgnoreCase));
        form.Id = "row-action";
        return await HtmlForms.SubmitAsync(admin, list, new Uri(admin.BaseAddress!, "/admin/users"), formSelector: "#row-action");
    }

    private static string[] QueryOf(IHtmlFormElement form)
    {
        var action = form.GetAttribute("action") ?? "";
        var question = action.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? [] : action[(question + 1)..].Split('&');
    }

    private static async Task<IHtmlDocument> GetPageAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await HtmlForms.ParseAsync(response);
    }
}
