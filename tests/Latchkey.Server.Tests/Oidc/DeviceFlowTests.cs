using System.Net;
using System.Text.Json;
using Latchkey.Server.Tests.Infrastructure;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>RFC 8628: the device asks, the user approves on /device, the device polls the token endpoint.</summary>
public sealed class DeviceFlowTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task<(TestClient Client, JsonElement Authorization)> StartAsync()
    {
        var client = await _host.CreateClientAsync("tv");
        var (status, body) = await _host.PostAsync("/connect/device", With(ClientAuth(client), ("scope", "openid profile offline_access")));
        Assert.Equal(HttpStatusCode.OK, status);
        return (client, body);
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> PollAsync(TestClient client, JsonElement authorization) =>
        _host.PostAsync("/connect/token", With(ClientAuth(client),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", authorization.GetProperty("device_code").GetString()!)));

    private static async Task<HttpResponseMessage> DecideAsync(HttpClient browser, string userCode, bool approve)
    {
        var pageUri = new Uri(browser.BaseAddress!, "/device?user_code=" + Uri.EscapeDataString(userCode));
        using var page = await browser.GetAsync(pageUri);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var document = await HtmlForms.ParseAsync(page);
        Assert.Equal("App tv", document.QuerySelector("#client-name")?.TextContent);
        return await HtmlForms.SubmitAsync(browser, document, new Uri(browser.BaseAddress!, "/device?handler=" + (approve ? "Approve" : "Deny")), formSelector: "#device-decision");
    }

    [Fact]
    public async Task Device_authorization_response_has_the_rfc_8628_fields()
    {
        var (_, authorization) = await StartAsync();

        Assert.False(string.IsNullOrEmpty(authorization.GetProperty("device_code").GetString()));
        Assert.False(string.IsNullOrEmpty(authorization.GetProperty("user_code").GetString()));
        Assert.Equal("http://localhost/device", authorization.GetProperty("verification_uri").GetString());
        Assert.StartsWith("http://localhost/device?user_code=", authorization.GetProperty("verification_uri_complete").GetString(), StringComparison.Ordinal);
        Assert.True(authorization.GetProperty("expires_in").GetInt32() > 0);
    }

    [Fact]
    public async Task Approved_on_the_user_code_page_the_device_gets_tokens()
    {
        var (client, authorization) = await StartAsync();
        var (pendingStatus, pending) = await PollAsync(client, authorization);
        Assert.Equal(HttpStatusCode.BadRequest, pendingStatus);
        Assert.Equal("authorization_pending", pending.GetProperty("error").GetString());

        var browser = await _host.SignInAsync();
        using var decided = await DecideAsync(browser, authorization.GetProperty("user_code").GetString()!, approve: true);
        Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
        using var done = await browser.GetAsync(decided.Headers.Location!.OriginalString);
        Assert.Equal("approved", (await HtmlForms.ParseAsync(done)).QuerySelector("#device-status")?.GetAttribute("data-status"));

        var (status, tokens) = await PollAsync(client, authorization);
        Assert.Equal(HttpStatusCode.OK, status);
        var idToken = ReadJwt(tokens.GetProperty("id_token").GetString()!);
        Assert.Equal(_host.UserId.ToString("D"), idToken.Subject);
        Assert.Equal("alice", idToken.GetClaim("preferred_username").Value);
        Assert.True(tokens.TryGetProperty("refresh_token", out _));

        // A device code is good for one set of tokens.
        Assert.Equal(HttpStatusCode.BadRequest, (await PollAsync(client, authorization)).Status);
    }

    [Fact]
    public async Task Denied_on_the_user_code_page_the_device_gets_access_denied()
    {
        var (client, authorization) = await StartAsync();
        var browser = await _host.SignInAsync();

        using var decided = await DecideAsync(browser, authorization.GetProperty("user_code").GetString()!, approve: false);

        Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
        var (status, body) = await PollAsync(client, authorization);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("access_denied", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_user_code_page_requires_sign_in_and_returns_to_the_code()
    {
        var (_, authorization) = await StartAsync();
        var complete = new Uri(authorization.GetProperty("verification_uri_complete").GetString()!).PathAndQuery;

        using var response = await _host.Factory.CreateBrowser().GetAsync(complete);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?returnUrl=" + Uri.EscapeDataString(complete), response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_wrong_user_code_shows_an_error_and_the_entry_form()
    {
        await StartAsync();
        var browser = await _host.SignInAsync();

        using var response = await browser.GetAsync("/device?user_code=WRONG-CODE");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await HtmlForms.ParseAsync(response);
        Assert.NotNull(document.QuerySelector("#device-error"));
        Assert.NotNull(document.QuerySelector("#device-code"));
        Assert.Null(document.QuerySelector("#device-decision"));
    }

    [Fact]
    public async Task Approving_without_antiforgery_token_is_refused()
    {
        var (client, authorization) = await StartAsync();
        var browser = await _host.SignInAsync();

        using var forged = await browser.PostAsync("/device?handler=Approve", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["user_code"] = authorization.GetProperty("user_code").GetString()!,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal("authorization_pending", (await PollAsync(client, authorization)).Body.GetProperty("error").GetString());
    }
}
