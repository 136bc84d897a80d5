using System.Net;
using System.Text.Json;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

public sealed class AuthorizationCodeFlowTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Code_with_pkce_through_the_login_form_yields_tokens_with_the_session_claims()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var browser = _host.Factory.CreateBrowser();

        // Not signed in: authorize sends the browser to the login page, which returns to authorize.
        using var toLogin = await browser.GetAsync(AuthorizeUrl(client, pkce));
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        var loginLocation = toLogin.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/login?returnUrl=", loginLocation, StringComparison.Ordinal);
        var returnUrl = QueryHelpers.ParseQuery(new Uri(new Uri("http://localhost"), loginLocation).Query)["returnUrl"].ToString();
        using var login = await LoginForm.SubmitAsync(browser, UserName, Password, returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(returnUrl, login.Headers.Location!.OriginalString);

        using var authorize = await browser.GetAsync(returnUrl);
        var parameters = RedirectParameters(authorize, client);
        Assert.Equal("state-123", parameters["state"]);
        Assert.Equal("http://localhost/", parameters["iss"]);

        var (status, body) = await _host.RedeemCodeAsync(client, parameters["code"], pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.True(body.GetProperty("expires_in").GetInt32() > 0);
        Assert.Contains("offline_access", body.GetProperty("scope").GetString()!.Split(' '));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));

        var idToken = ReadJwt(body.GetProperty("id_token").GetString()!);
        Assert.Equal(_host.UserId.ToString("D"), idToken.Subject);
        Assert.Equal("nonce-456", idToken.GetClaim("nonce").Value);
        Assert.Equal("http://localhost/", idToken.Issuer);
        Assert.Contains("web", idToken.Audiences);
        Assert.True(idToken.TryGetPayloadValue<long>("auth_time", out var authTime) && authTime > 0);
        Assert.Equal(["pwd"], idToken.Claims.Where(c => c.Type == "amr").Select(c => c.Value));
        Assert.Equal("urn:latchkey:acr:pwd", idToken.GetClaim("acr").Value);
        Assert.Equal("Alice Liddell", idToken.GetClaim("name").Value);
        Assert.Equal("alice", idToken.GetClaim("preferred_username").Value);
        Assert.Equal("alice@example.test", idToken.GetClaim("email").Value);

        var accessToken = ReadJwt(body.GetProperty("access_token").GetString()!);
        Assert.Equal("at+jwt", accessToken.Typ);
        Assert.Equal(_host.UserId.ToString("D"), accessToken.Subject);
        Assert.False(accessToken.TryGetClaim("email", out _));
    }

    [Fact]
    public async Task Id_token_carries_the_sso_session_id_when_the_session_has_one()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var browser = await _host.SignInAsync();
        var code = await _host.GetCodeAsync(browser, client, pkce);

        var (_, body) = await _host.RedeemCodeAsync(client, code, pkce);

        var idToken = ReadJwt(body.GetProperty("id_token").GetString()!);
        Assert.True(Guid.TryParse(idToken.GetClaim("sid").Value, out _));
    }

    [Fact]
    public async Task Userinfo_returns_the_claims_of_the_granted_scopes_for_get_and_post()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce, scope: "openid email");
        var (_, body) = await _host.RedeemCodeAsync(client, code, pkce);
        var accessToken = body.GetProperty("access_token").GetString()!;

        using var http = _host.Factory.CreateClient();
        using var get = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        get.Headers.Authorization = new("Bearer", accessToken);
        using var getResponse = await http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, getResponse.StatusCode);
        var claims = JsonDocument.Parse(await getResponse.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(_host.UserId.ToString("D"), claims.GetProperty("sub").GetString());
        Assert.Equal("alice@example.test", claims.GetProperty("email").GetString());
        Assert.False(claims.TryGetProperty("name", out _));

        using var postResponse = await http.PostAsync("/connect/userinfo", new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = accessToken }));
        Assert.Equal(HttpStatusCode.OK, postResponse.StatusCode);

        using var bad = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        bad.Headers.Authorization = new("Bearer", "not-a-token");
        using var badResponse = await http.SendAsync(bad);
        Assert.Equal(HttpStatusCode.Unauthorized, badResponse.StatusCode);
        Assert.Contains("invalid_token", badResponse.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reused_code_is_rejected_and_revokes_the_tokens_it_produced()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce);
        var (_, first) = await _host.RedeemCodeAsync(client, code, pkce);
        var accessToken = first.GetProperty("access_token").GetString()!;
        var refreshToken = first.GetProperty("refresh_token").GetString()!;
        Assert.True((await _host.IntrospectAsync(client, accessToken)).Body.GetProperty("active").GetBoolean());

        var (status, second) = await _host.RedeemCodeAsync(client, code, pkce);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", second.GetProperty("error").GetString());
        Assert.False((await _host.IntrospectAsync(client, accessToken)).Body.GetProperty("active").GetBoolean());
        Assert.False((await _host.IntrospectAsync(client, refreshToken)).Body.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Wrong_code_verifier_is_invalid_grant()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce);

        var (status, body) = await _host.RedeemCodeAsync(client, code, Pkce.Create());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Unregistered_redirect_uri_is_answered_here_without_redirecting()
    {
        var client = await _host.CreateClientAsync("web");
        var browser = await _host.SignInAsync();
        var url = AuthorizeUrl(client, Pkce.Create(), extra: ("redirect_uri", "https://evil.example/callback"));

        using var response = await browser.GetAsync(url);

        await AssertErrorPageAsync(response, "invalid_request");
    }

    [Fact]
    public async Task Unknown_client_is_answered_here_without_redirecting()
    {
        var client = new TestClient("nobody", null, "https://nobody.example/callback", "https://nobody.example/out");

        using var response = await (await _host.SignInAsync()).GetAsync(AuthorizeUrl(client, Pkce.Create()));

        await AssertErrorPageAsync(response, "invalid_request");
    }

    [Fact]
    public async Task Prompt_none_without_a_session_returns_login_required_to_the_client()
    {
        var client = await _host.CreateClientAsync("web");

        using var response = await _host.Factory.CreateBrowser().GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: ("prompt", "none")));

        var parameters = RedirectParameters(response, client);
        Assert.Equal("login_required", parameters["error"]);
        Assert.Equal("state-123", parameters["state"]);
        Assert.Equal("http://localhost/", parameters["iss"]);
    }

    [Fact]
    public async Task Prompt_none_with_a_session_returns_a_code_silently()
    {
        var client = await _host.CreateClientAsync("web");
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, Pkce.Create(), extra: ("prompt", "none"));
        Assert.False(string.IsNullOrEmpty(code));
    }

    [Fact]
    public async Task Prompt_login_sends_a_signed_in_user_to_the_login_page_and_the_return_trip_issues_a_code()
    {
        var client = await _host.CreateClientAsync("web");
        var browser = await _host.SignInAsync();
        var pkce = Pkce.Create();

        using var response = await browser.GetAsync(AuthorizeUrl(client, pkce, extra: ("prompt", "login")));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = new Uri(new Uri("http://localhost"), response.Headers.Location!.OriginalString);
        Assert.Equal("/account/login", location.AbsolutePath);
        var returnUrl = QueryHelpers.ParseQuery(location.Query)["returnUrl"].ToString();
        Assert.DoesNotContain("prompt", returnUrl, StringComparison.Ordinal);

        using var login = await LoginForm.SubmitAsync(browser, UserName, Password, returnUrl);
        using var back = await browser.GetAsync(login.Headers.Location!.OriginalString);
        Assert.True(RedirectParameters(back, client).ContainsKey("code"));
    }

    [Fact]
    public async Task Login_hint_prefills_the_username_on_the_login_page()
    {
        var client = await _host.CreateClientAsync("web");
        var browser = _host.Factory.CreateBrowser();

        using var response = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: ("login_hint", "alice")));
        using var page = await browser.GetAsync(response.Headers.Location!.OriginalString);

        var document = await HtmlForms.ParseAsync(page);
        Assert.Equal("alice", (document.QuerySelector("#username") as AngleSharp.Html.Dom.IHtmlInputElement)?.Value);
    }

    [Fact]
    public async Task Garbage_id_token_hint_is_rejected()
    {
        var client = await _host.CreateClientAsync("web");

        using var response = await (await _host.SignInAsync()).GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: ("id_token_hint", "eyJhbGciOiJub25lIn0.e30.")));

        var parameters = RedirectParameters(response, client);
        Assert.Equal("invalid_request", parameters["error"]);
    }

    [Fact]
    public async Task Id_token_hint_for_another_user_with_prompt_none_is_login_required()
    {
        var client = await _host.CreateClientAsync("web");
        await _host.Factory.CreateUserAsync("bob", "bobs password 123");
        var bob = await _host.Factory.SignInAsync("bob", "bobs password 123");
        var pkce = Pkce.Create();
        var (_, tokens) = await _host.RedeemCodeAsync(client, await _host.GetCodeAsync(bob, client, pkce), pkce);
        var bobsIdToken = tokens.GetProperty("id_token").GetString()!;

        using var response = await (await _host.SignInAsync()).GetAsync(
            AuthorizeUrl(client, Pkce.Create(), extra: [("prompt", "none"), ("id_token_hint", bobsIdToken)]));

        Assert.Equal("login_required", RedirectParameters(response, client)["error"]);
    }

    [Fact]
    public async Task Public_client_without_pkce_is_refused_and_plain_pkce_is_refused_for_everyone()
    {
        var spa = await _host.CreateClientAsync("spa", confidential: false);
        var web = await _host.CreateClientAsync("web");
        var browser = await _host.SignInAsync();

        // Known client, registered redirect_uri: the error goes back to the client (RFC 6749 §4.1.2.1) with state and iss.
        using var noPkce = await browser.GetAsync(AuthorizeUrl(spa, pkce: null));
        var refused = RedirectParameters(noPkce, spa);
        Assert.Equal("invalid_request", refused["error"]);
        Assert.Contains("code_challenge", refused["error_description"], StringComparison.Ordinal);
        Assert.Equal("state-123", refused["state"]);
        Assert.Equal("http://localhost/", refused["iss"]);
        Assert.False(refused.ContainsKey("code"));

        using var plain = await browser.GetAsync(AuthorizeUrl(web, pkce: null, extra: [("code_challenge", new string('a', 43)), ("code_challenge_method", "plain")]));
        Assert.Equal("invalid_request", RedirectParameters(plain, web)["error"]);

        // A confidential client may still omit PKCE (it authenticates at the token endpoint).
        var code = await _host.GetCodeAsync(browser, web, pkce: null);
        Assert.Equal(HttpStatusCode.OK, (await _host.RedeemCodeAsync(web, code, pkce: null)).Status);
    }

    [Fact]
    public async Task Public_client_with_pkce_redeems_without_a_secret()
    {
        var spa = await _host.CreateClientAsync("spa", confidential: false);
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), spa, pkce);

        var (status, body) = await _host.RedeemCodeAsync(spa, code, pkce);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.TryGetProperty("id_token", out _));
    }

    [Fact]
    public async Task Implicit_and_hybrid_response_types_are_refused()
    {
        var client = await _host.CreateClientAsync("web");
        var browser = await _host.SignInAsync();

        // Returned to the client in the fragment, the default response mode of these response types.
        foreach (var responseType in new[] { "token", "id_token", "code id_token", "id_token token" })
        {
            using var response = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: ("response_type", responseType)));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!;
            Assert.StartsWith(client.RedirectUri, location.AbsoluteUri, StringComparison.Ordinal);
            var fragment = QueryHelpers.ParseQuery(location.Fragment.TrimStart('#'));
            Assert.Equal("unsupported_response_type", fragment["error"].ToString());
            Assert.Equal("state-123", fragment["state"].ToString());
            Assert.False(fragment.ContainsKey("access_token") || fragment.ContainsKey("id_token"));
        }
    }

    [Fact]
    public async Task Password_grant_is_refused()
    {
        var client = await _host.CreateClientAsync("web");

        var (status, body) = await _host.PostAsync("/connect/token",
            With(ClientAuth(client), ("grant_type", "password"), ("username", UserName), ("password", Password)));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_grant_type", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Acr_values_are_accepted_and_the_id_token_states_the_acr_achieved()
    {
        var client = await _host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce, extra: ("acr_values", "urn:latchkey:acr:pwd"));

        var (_, body) = await _host.RedeemCodeAsync(client, code, pkce);

        Assert.Equal("urn:latchkey:acr:pwd", ReadJwt(body.GetProperty("id_token").GetString()!).GetClaim("acr").Value);
    }

    [Fact]
    public async Task Userinfo_refuses_a_client_credentials_token()
    {
        var client = await _host.CreateClientAsync("service");
        var (_, body) = await _host.PostAsync("/connect/token", With(ClientAuth(client), ("grant_type", "client_credentials")));
        using var http = _host.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new("Bearer", body.GetProperty("access_token").GetString());

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
