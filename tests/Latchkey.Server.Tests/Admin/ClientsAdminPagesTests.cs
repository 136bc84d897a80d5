using System.Net;
using AngleSharp.Html.Dom;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Tests.Admin;

public sealed class ClientsAdminPagesTests : IAsyncLifetime
{
    private readonly LatchkeyServerFactory _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/admin/clients")]
    [InlineData("/admin/clients/edit?clientId=x")]
    [InlineData("/admin/clients/remove?clientId=x")]
    public async Task Anonymous_visitors_are_sent_to_the_login_page(string path)
    {
        using var browser = _server.CreateBrowser();
        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task Signed_in_non_admins_are_forbidden_even_with_a_valid_form()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/clients");
        await _server.CreateUserAsync("pat", "pat-password-123");
        using var other = await _server.SignInAsync("pat", "pat-password-123");

        using var get = await other.GetAsync("/admin/clients", TestContext.Current.CancellationToken);
        Assert.Equal("/account/denied", get.Headers.Location!.AbsolutePath);
        using var post = await HtmlForms.SubmitAsync(other, page, new Uri(other.BaseAddress!, "/admin/clients"), new Dictionary<string, string?>
        {
            ["Input.ClientId"] = "sneaky",
            ["Input.Grants"] = "client_credentials",
        }, "#create-client");
        Assert.NotEqual(HttpStatusCode.OK, post.StatusCode);
        Assert.Null(await GetClientAsync("sneaky"));
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_with_400()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/clients");

        using var response = await HtmlForms.SubmitAsync(admin, page, new Uri(admin.BaseAddress!, "/admin/clients"), new Dictionary<string, string?>
        {
            ["Input.ClientId"] = "forged",
            ["Input.Grants"] = "client_credentials",
            ["__RequestVerificationToken"] = null,
        }, "#create-client");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await GetClientAsync("forged"));
    }

    [Fact]
    public async Task An_admin_creates_a_confidential_client_and_sees_its_secret_exactly_once()
    {
        using var admin = await SignInAdminAsync();
        var pageUri = new Uri(admin.BaseAddress!, "/admin/clients");
        var page = await GetPageAsync(admin, "/admin/clients");

        using var created = await HtmlForms.SubmitAsync(admin, page, pageUri, new Dictionary<string, string?>
        {
            ["Input.ClientId"] = "reports",
            ["Input.Type"] = "confidential",
            ["Input.Grants"] = "authorization_code",
            ["Input.Scopes"] = "openid",
            ["Input.RedirectUris"] = "https://reports.example/cb\r\nhttp://localhost:5000/cb",
            ["Input.FirstParty"] = "true",
            ["Input.DisplayName"] = "Reports",
        }, "#create-client");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.True(created.Headers.CacheControl?.NoStore);
        var html = await HtmlForms.ParseAsync(created);
        var secret = html.QuerySelector("#client-secret")?.TextContent;
        Assert.False(string.IsNullOrEmpty(secret));
        Assert.True(await SecretIsValidAsync("reports", secret));

        var client = await GetClientAsync("reports");
        Assert.NotNull(client);
        Assert.Equal(["https://reports.example/cb", "http://localhost:5000/cb"], client.RedirectUris);
        Assert.True(client.Settings.FirstParty);
        Assert.Equal("Reports", client.DisplayName);

        using var again = await admin.GetAsync("/admin/clients", TestContext.Current.CancellationToken);
        var listing = await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("reports", listing, StringComparison.Ordinal);
        Assert.DoesNotContain(secret!, listing, StringComparison.Ordinal);
        using var edit = await admin.GetAsync("/admin/clients/edit?clientId=reports", TestContext.Current.CancellationToken);
        Assert.DoesNotContain(secret!, await edit.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_redirect_uri_is_shown_as_an_error_and_nothing_is_created()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin/clients");

        using var response = await HtmlForms.SubmitAsync(admin, page, new Uri(admin.BaseAddress!, "/admin/clients"), new Dictionary<string, string?>
        {
            ["Input.ClientId"] = "broken",
            ["Input.Grants"] = "authorization_code",
            ["Input.RedirectUris"] = "http://broken.example/cb",
        }, "#create-client");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await HtmlForms.ParseAsync(response);
        Assert.Contains("loopback", html.Body!.TextContent, StringComparison.Ordinal);
        Assert.Null(html.QuerySelector("#client-secret"));
        Assert.Null(await GetClientAsync("broken"));
    }

    [Fact]
    public async Task An_admin_edits_rotates_the_secret_and_removes_a_client()
    {
        var original = await _server.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().CreateAsync(
            new ClientDefinition("web", ClientTypes.Confidential, ["https://web.example/cb"], [], [ClientGrants.AuthorizationCode], ["openid"]), CancellationToken.None));
        using var admin = await SignInAdminAsync();
        var editUri = new Uri(admin.BaseAddress!, "/admin/clients/edit?clientId=web");

        var edit = await GetPageAsync(admin, editUri.PathAndQuery);
        using var saved = await HtmlForms.SubmitAsync(admin, edit, editUri, new Dictionary<string, string?>
        {
            ["Input.RedirectUris"] = "https://web.example/cb2",
            ["Input.PostLogoutRedirectUris"] = "https://web.example/bye",
            ["Input.FirstParty"] = "true",
            ["Input.BackchannelLogoutUri"] = "https://web.example/bcl",
        }, "#edit-client");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var client = (await GetClientAsync("web"))!;
        Assert.Equal(["https://web.example/cb2"], client.RedirectUris);
        Assert.Equal(["https://web.example/bye"], client.PostLogoutRedirectUris);
        Assert.Equal(["openid"], client.Scopes);
        Assert.True(client.Settings.FirstParty);
        Assert.Equal("https://web.example/bcl", client.Settings.BackchannelLogoutUri);

        edit = await GetPageAsync(admin, editUri.PathAndQuery);
        using var rotated = await HtmlForms.SubmitAsync(admin, edit, editUri, formSelector: "#rotate-secret");
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.True(rotated.Headers.CacheControl?.NoStore);
        var secret = (await HtmlForms.ParseAsync(rotated)).QuerySelector("#client-secret")?.TextContent;
        Assert.True(await SecretIsValidAsync("web", secret));
        Assert.False(await SecretIsValidAsync("web", original.ClientSecret));

        var removeUri = new Uri(admin.BaseAddress!, "/admin/clients/remove?clientId=web");
        var confirm = await GetPageAsync(admin, removeUri.PathAndQuery);
        Assert.NotNull(await GetClientAsync("web"));
        using var removed = await HtmlForms.SubmitAsync(admin, confirm, removeUri, formSelector: "#remove-client");
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Null(await GetClientAsync("web"));
        using var gone = await admin.GetAsync(removeUri, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task The_admin_navigation_links_to_the_clients_page()
    {
        using var admin = await SignInAdminAsync();
        var page = await GetPageAsync(admin, "/admin");

        Assert.NotNull(page.QuerySelector("nav.admin-nav a[href='/admin/clients']"));
    }

    private Task<HttpClient> SignInAdminAsync() => _server.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

    private static async Task<IHtmlDocument> GetPageAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await HtmlForms.ParseAsync(response);
    }

    private Task<ClientSummary?> GetClientAsync(string clientId) =>
        _server.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().GetAsync(clientId, CancellationToken.None));

    private Task<bool> SecretIsValidAsync(string clientId, string? secret) =>
        _server.WithScopeAsync(async services =>
        {
            var manager = services.GetRequiredService<IOpenIddictApplicationManager>();
            var application = await manager.FindByClientIdAsync(clientId);
            return application is not null && !string.IsNullOrEmpty(secret) && await manager.ValidateClientSecretAsync(application, secret);
        });
}
