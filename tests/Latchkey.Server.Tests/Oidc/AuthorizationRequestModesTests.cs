using System.Net;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>Pushed authorization requests (RFC 9126) and response_mode=form_post.</summary>
public sealed class AuthorizationRequestModesTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task<string> PushAsync(TestClient client, Pkce pkce, string scope = "openid profile")
    {
        var form = ClientAuth(client);
        foreach (var (key, value) in QueryHelpers.ParseQuery(new Uri(new Uri("http://localhost"), AuthorizeUrl(client, pkce, scope)).Query))
        {
            form[key] = value.ToString();
        }

        var (status, body) = await _host.PostAsync("/connect/par", form);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(body.GetProperty("expires_in").GetInt32() > 0);
        var requestUri = body.GetProperty("request_uri").GetString()!;
        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", requestUri, StringComparison.Ordinal);
        return requestUri;
    }

    private static string ParAuthorizeUrl(TestClient client, string requestUri) =>
        QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?> { ["client_id"] = client.ClientId, ["request_uri"] = requestUri });

    [Fact]
    public async Task Pushed_request_then_authorize_with_request_uri_yields_a_code()
    {
        var client = await _host.CreateClientAsync("web", requirePar: true);
        var pkce = Pkce.Create();
        var requestUri = await PushAsync(client, pkce);

        using var response = await (await _host.SignInAsync()).GetAsync(ParAuthorizeUrl(client, requestUri));

        var parameters = RedirectParameters(response, client);
        Assert.Equal("state-123", parameters["state"]);
        Assert.Equal(HttpStatusCode.OK, (await _host.RedeemCodeAsync(client, parameters["code"], pkce)).Status);
    }

    [Fact]
    public async Task Pushed_request_survives_the_login_round_trip()
    {
        var client = await _host.CreateClientAsync("web", requirePar: true);
        var pkce = Pkce.Create();
        var browser = _host.Factory.CreateBrowser();

        using var toLogin = await browser.GetAsync(ParAuthorizeUrl(client, await PushAsync(client, pkce)));
        var returnUrl = QueryHelpers.ParseQuery(new Uri(new Uri("http://localhost"), toLogin.Headers.Location!.OriginalString).Query)["returnUrl"].ToString();
        using var login = await LoginForm.SubmitAsync(browser, UserName, Password, returnUrl);
        using var response = await browser.GetAsync(login.Headers.Location!.OriginalString);

        Assert.True(RedirectParameters(response, client).ContainsKey("code"));
    }

    [Fact]
    public async Task Pushed_request_through_the_consent_page_yields_a_code()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false, requirePar: true);
        var pkce = Pkce.Create();
        var browser = await _host.SignInAsync();
        var url = ParAuthorizeUrl(client, await PushAsync(client, pkce));

        using var page = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var decided = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(page), new Uri(browser.BaseAddress!, url),
            new Dictionary<string, string?> { ["submit.Accept"] = "x" });

        var parameters = RedirectParameters(decided, client);
        Assert.Equal(HttpStatusCode.OK, (await _host.RedeemCodeAsync(client, parameters["code"], pkce)).Status);
    }

    [Fact]
    public async Task Client_that_requires_par_cannot_send_a_plain_authorization_request()
    {
        var client = await _host.CreateClientAsync("web", requirePar: true);

        using var response = await (await _host.SignInAsync()).GetAsync(AuthorizeUrl(client, Pkce.Create()));

        // The client and its redirect_uri are valid, so the refusal goes back to it.
        Assert.Equal("invalid_request", RedirectParameters(response, client)["error"]);
    }

    [Fact]
    public async Task Par_requires_client_authentication_and_a_registered_redirect_uri()
    {
        var client = await _host.CreateClientAsync("web");

        var (noAuth, noAuthBody) = await _host.PostAsync("/connect/par", new Dictionary<string, string>
        {
            ["client_id"] = client.ClientId, ["response_type"] = "code", ["scope"] = "openid", ["redirect_uri"] = client.RedirectUri,
        });
        Assert.Equal(HttpStatusCode.Unauthorized, noAuth);
        Assert.Equal("invalid_client", noAuthBody.GetProperty("error").GetString());

        var (badUri, badUriBody) = await _host.PostAsync("/connect/par", With(ClientAuth(client),
            ("response_type", "code"), ("scope", "openid"), ("redirect_uri", "https://evil.example/cb"), ("code_challenge", Pkce.Create().Challenge), ("code_challenge_method", "S256")));
        Assert.Equal(HttpStatusCode.BadRequest, badUri);
        Assert.Equal("invalid_request", badUriBody.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_unknown_request_uri_is_rejected()
    {
        var client = await _host.CreateClientAsync("web");

        using var response = await (await _host.SignInAsync()).GetAsync(ParAuthorizeUrl(client, "urn:ietf:params:oauth:request_uri:nope"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Form_post_answers_with_a_self_submitting_form_allowed_by_its_csp()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();

        using var response = await (await _host.SignInAsync()).GetAsync(AuthorizeUrl(client, pkce, extra: ("response_mode", "form_post")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await HtmlForms.ParseAsync(response);
        var form = document.QuerySelector("form")!;
        Assert.Equal(client.RedirectUri, form.GetAttribute("action"));
        Assert.Equal("post", form.GetAttribute("method"), ignoreCase: true);
        string Field(string name) => document.QuerySelector($"input[name={name}]")!.GetAttribute("value")!;
        Assert.Equal("state-123", Field("state"));
        Assert.Equal("http://localhost/", Field("iss"));
        Assert.Equal(HttpStatusCode.OK, (await _host.RedeemCodeAsync(client, Field("code"), pkce)).Status);

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("form-action https://web.example", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_post_errors_are_posted_too()
    {
        var client = await _host.CreateClientAsync("web");

        using var response = await _host.Factory.CreateBrowser().GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: [("response_mode", "form_post"), ("prompt", "none")]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await HtmlForms.ParseAsync(response);
        Assert.Equal("login_required", document.QuerySelector("input[name=error]")?.GetAttribute("value"));
    }
}
