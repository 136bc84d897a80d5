using System.Net;
using AngleSharp.Html.Dom;
using Latchkey.Server.Consumers;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Admin;

public sealed class AdminPagesTests : IAsyncLifetime
{
    private readonly LatchkeyServerFactory _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/users")]
    [InlineData("/admin/consumers")]
    [InlineData("/admin/users/password?userName=admin")]
    public async Task Anonymous_visitors_are_sent_to_the_login_page(string path)
    {
        using var browser = _server.CreateBrowser();

        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
        Assert.Contains("returnUrl=" + Uri.EscapeDataString(path.Split('?')[0]), response.Headers.Location.Query, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/users")]
    [InlineData("/admin/consumers")]
    public async Task Signed_in_non_admins_are_forbidden(string path)
    {
        await _server.CreateUserAsync("pat", "pat-password-123");
        using var browser = await _server.SignInAsync("pat", "pat-password-123");

        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/denied", response.Headers.Location!.AbsolutePath);
        using var denied = await browser.GetAsync(response.Headers.Location, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    [Fact]
    public async Task A_non_admin_cannot_create_a_consumer_even_with_a_valid_form()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/consumers");
        await _server.CreateUserAsync("pat", "pat-password-123");
        using var other = await _server.SignInAsync("pat", "pat-password-123");

        using var response = await HtmlForms.SubmitAsync(other, page, new Uri(other.BaseAddress!, "/admin/consumers"), new Dictionary<string, string?>
        {
            ["Input.Name"] = "sneaky",
            ["Input.RedirectOrigins"] = "https://sneaky.example.com",
        }, "#create-consumer");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(await GetConsumerAsync("sneaky"));
    }

    [Fact]
    public async Task An_admin_creates_a_consumer_and_sees_its_keys_exactly_once()
    {
        using var admin = await SignInAdminAsync();
        var pageUri = new Uri(admin.BaseAddress!, "/admin/consumers");
        var page = await GetPageAsync(admin, "/admin/consumers");

        using var created = await HtmlForms.SubmitAsync(admin, page, pageUri, new Dictionary<string, string?>
        {
            ["Input.Name"] = "intranet",
            ["Input.RedirectOrigins"] = "https://intranet.example.com\r\nhttp://127.0.0.2:8000",
        }, "#create-consumer");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Contains("no-store", created.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var result = await HtmlForms.ParseAsync(created);
        var publicKey = result.QuerySelector("#public-key")!.TextContent.Trim();
        var privateKey = result.QuerySelector("#private-key")!.TextContent.Trim();

        var resolved = await _server.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(publicKey, CancellationToken.None));
        Assert.NotNull(resolved);
        Assert.Equal(privateKey, resolved.PrivateKey);
        Assert.Equal(["https://intranet.example.com", "http://127.0.0.2:8000"], resolved.Consumer.RedirectOrigins);

        var list = await admin.GetStringAsync("/admin/consumers", TestContext.Current.CancellationToken);
        Assert.Contains("intranet", list, StringComparison.Ordinal);
        Assert.DoesNotContain(privateKey, list, StringComparison.Ordinal);
        var details = await admin.GetStringAsync("/admin/consumers/edit?name=intranet", TestContext.Current.CancellationToken);
        Assert.Contains(publicKey, details, StringComparison.Ordinal);
        Assert.DoesNotContain(privateKey, details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_a_consumer_with_a_bad_origin_shows_the_reason()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/consumers");

        using var response = await HtmlForms.SubmitAsync(admin, page, new Uri(admin.BaseAddress!, "/admin/consumers"), new Dictionary<string, string?>
        {
            ["Input.Name"] = "broken",
            ["Input.RedirectOrigins"] = "javascript:alert(1)",
        }, "#create-consumer");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await HtmlForms.ParseAsync(response);
        Assert.Contains("is not a redirect origin", html.QuerySelector("#errors")!.TextContent, StringComparison.Ordinal);
        Assert.Null(html.QuerySelector("#private-key"));
        Assert.Null(await GetConsumerAsync("broken"));
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_with_400()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/consumers");

        using var response = await HtmlForms.SubmitAsync(admin, page, new Uri(admin.BaseAddress!, "/admin/consumers"), new Dictionary<string, string?>
        {
            ["Input.Name"] = "forged",
            ["Input.RedirectOrigins"] = "https://forged.example.com",
            ["__RequestVerificationToken"] = null,
        }, "#create-consumer");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await GetConsumerAsync("forged"));
    }

    [Fact]
    public async Task Creating_a_user_with_a_too_short_password_shows_identitys_error()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/users");

        using var response = await HtmlForms.SubmitAsync(admin, page, new Uri(admin.BaseAddress!, "/admin/users"), new Dictionary<string, string?>
        {
            ["Input.UserName"] = "quinn",
            ["Input.Email"] = "quinn@example.com",
            ["Input.Password"] = "short",
        }, "#create-user");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await HtmlForms.ParseAsync(response);
        Assert.Contains("Passwords must be at least 8 characters.", html.QuerySelector("#errors")!.TextContent, StringComparison.Ordinal);
        Assert.Null(await _server.FindUserAsync("quinn"));
    }

    [Fact]
    public async Task An_admin_creates_a_user_who_can_then_sign_in_and_can_disable_them()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/users");

        using var created = await HtmlForms.SubmitAsync(admin, page, new Uri(admin.BaseAddress!, "/admin/users"), new Dictionary<string, string?>
        {
            ["Input.UserName"] = "rita",
            ["Input.Email"] = "rita@example.com",
            ["Input.FirstName"] = "Rita",
            ["Input.Password"] = "rita-password-123",
        }, "#create-user");

        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        (await _server.SignInAsync("rita", "rita-password-123")).Dispose();

        var list = await GetPageAsync(admin, "/admin/users");
        var disableForm = list.QuerySelectorAll("form").OfType<IHtmlFormElement>()
            .Single(f => (f.GetAttribute("action") ?? "").Contains("handler=disable", StringComparison.OrdinalIgnoreCase)
                && (f.GetAttribute("action") ?? "").Contains("userName=rita", StringComparison.Ordinal));
        disableForm.Id = "disable-rita";
        using var disabled = await HtmlForms.SubmitAsync(admin, list, new Uri(admin.BaseAddress!, "/admin/users"), formSelector: "#disable-rita");

        Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);
        Assert.False((await _server.FindUserAsync("rita"))!.IsActive);
    }

    [Fact]
    public async Task Rotating_keys_shows_the_new_pair_once_and_keeps_the_old_one_for_the_overlap()
    {
        var original = await _server.CreateConsumerAsync("portal", "https://portal.example.com");
        using var admin = await SignInAdminAsync();
        var editUri = new Uri(admin.BaseAddress!, "/admin/consumers/edit?name=portal");
        var page = await GetPageAsync(admin, editUri.PathAndQuery);

        using var rotated = await HtmlForms.SubmitAsync(admin, page, editUri, new Dictionary<string, string?> { ["Rotate.Overlap"] = "2h" }, "#rotate-keys");

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var result = await HtmlForms.ParseAsync(rotated);
        var newPublicKey = result.QuerySelector("#public-key")!.TextContent.Trim();
        var newPrivateKey = result.QuerySelector("#private-key")!.TextContent.Trim();
        Assert.NotEqual(original.PublicKey, newPublicKey);

        var summary = await GetConsumerAsync("portal");
        var oldKey = summary!.Keys.Single(k => k.PublicKey == original.PublicKey);
        var newKey = summary.Keys.Single(k => k.PublicKey == newPublicKey);
        Assert.Equal(TimeSpan.FromHours(2), oldKey.ExpiresAt - newKey.CreatedAt);
        var resolved = await _server.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(newPublicKey, CancellationToken.None));
        Assert.Equal(newPrivateKey, resolved?.PrivateKey);

        var again = await admin.GetStringAsync(editUri, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(newPrivateKey, again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Editing_a_consumer_saves_origins_and_grants_and_shows_bad_origins()
    {
        await _server.CreateConsumerAsync("hr", "https://hr.example.com");
        using var admin = await SignInAdminAsync();
        var editUri = new Uri(admin.BaseAddress!, "/admin/consumers/edit?name=hr");

        using var bad = await HtmlForms.SubmitAsync(admin, await GetPageAsync(admin, editUri.PathAndQuery), editUri,
            new Dictionary<string, string?> { ["Input.RedirectOrigins"] = "not a url" }, "#edit-consumer");
        Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        Assert.NotNull((await HtmlForms.ParseAsync(bad)).QuerySelector("#errors"));

        using var saved = await HtmlForms.SubmitAsync(admin, await GetPageAsync(admin, editUri.PathAndQuery), editUri, new Dictionary<string, string?>
        {
            ["Input.RedirectOrigins"] = "https://hr.example.com\nhttps://hr2.example.com",
            ["Input.GrantStaff"] = "true",
        }, "#edit-consumer");

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var summary = await GetConsumerAsync("hr");
        Assert.Equal(["https://hr.example.com", "https://hr2.example.com"], summary!.RedirectOrigins);
        Assert.True(summary.GrantStaff);
        Assert.False(summary.GrantSuperuser);
    }

    [Fact]
    public async Task Removing_a_consumer_asks_for_confirmation_first()
    {
        var keys = await _server.CreateConsumerAsync("legacy", "https://legacy.example.com");
        using var admin = await SignInAdminAsync();
        var removeUri = new Uri(admin.BaseAddress!, "/admin/consumers/remove?name=legacy");

        var confirm = await GetPageAsync(admin, removeUri.PathAndQuery);
        Assert.NotNull(await GetConsumerAsync("legacy"));

        using var removed = await HtmlForms.SubmitAsync(admin, confirm, removeUri, formSelector: "#remove-consumer");

        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Null(await GetConsumerAsync("legacy"));
        Assert.Null(await _server.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(keys.PublicKey, CancellationToken.None)));
        using var gone = await admin.GetAsync(removeUri, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private Task<HttpClient> SignInAdminAsync() => _server.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

    private static async Task<IHtmlDocument> GetPageAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await HtmlForms.ParseAsync(response);
    }

    private Task<ConsumerSummary?> GetConsumerAsync(string name) =>
        _server.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().GetAsync(name, CancellationToken.None));
}
