using System.Net;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>Malformed and hostile requests to every OIDC endpoint: a 4xx (or a protocol error to the client), never a 500.</summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    public static TheoryData<string> AuthorizeQueries() =>
    [
        "",
        "?client_id=web",
        "?client_id=web&response_type=code",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid&code_challenge=abc&code_challenge_method=S256&max_age=-1",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid&max_age=notanumber",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid%20unknown_scope",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid&prompt=none%20login",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid&response_mode=bogus",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid&request=eyJhbGciOiJub25lIn0.e30.",
        "?client_id=web&request_uri=urn:ietf:params:oauth:request_uri:" + new string('x', 3000),
        "?client_id=%00%01&response_type=code",
        "?client_id=web&client_id=other&response_type=code&redirect_uri=https://web.example/callback&scope=openid",
        "?client_id=web&response_type=code&redirect_uri=javascript:alert(1)&scope=openid",
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid&id_token_hint=" + new string('a', 5000),
        "?client_id=web&response_type=code&redirect_uri=https://web.example/callback&scope=openid&acr_values=urn:latchkey:acr:mfa&login_hint=" + new string('x', 5000),
    ];

    [Theory]
    [MemberData(nameof(AuthorizeQueries))]
    public async Task Authorize_never_fails_with_a_500(string query)
    {
        await _host.CreateClientAsync("web");
        foreach (var browser in new[] { _host.Factory.CreateBrowser(), await _host.SignInAsync() })
        {
            using var response = await browser.GetAsync("/connect/authorize" + query);
            Assert.True((int)response.StatusCode is 302 or 400 or 200, $"{(int)response.StatusCode} for {query}");
            if (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.IsAbsoluteUri)
            {
                Assert.StartsWith("https://web.example/callback", response.Headers.Location.AbsoluteUri, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("/connect/logout?id_token_hint=x.y.z")]
    [InlineData("/connect/logout?post_logout_redirect_uri=not%20a%20uri")]
    [InlineData("/connect/logout?post_logout_redirect_uri=https://web.example/signed-out&client_id=nobody")]
    [InlineData("/connect/logout?state=" + "%FF%FE")]
    [InlineData("/device?user_code=%00")]
    [InlineData("/connect/userinfo")]
    public async Task Other_browser_endpoints_never_fail_with_a_500(string url)
    {
        await _host.CreateClientAsync("web");
        foreach (var browser in new[] { _host.Factory.CreateBrowser(), await _host.SignInAsync() })
        {
            using var response = await browser.GetAsync(url);
            Assert.InRange((int)response.StatusCode, 200, 499);
        }
    }

    [Theory]
    [InlineData("/connect/token", "grant_type=authorization_code&code=" + "%E0%A4%A" + "&client_id=web&client_secret=secret-web-0123456789abcdef")]
    [InlineData("/connect/token", "grant_type=refresh_token&client_id=web&client_secret=secret-web-0123456789abcdef")]
    [InlineData("/connect/token", "grant_type=client_credentials&client_id=web&client_secret=secret-web-0123456789abcdef&scope=nope")]
    [InlineData("/connect/introspect", "client_id=web&client_secret=secret-web-0123456789abcdef")]
    [InlineData("/connect/revoke", "client_id=web&client_secret=secret-web-0123456789abcdef")]
    [InlineData("/connect/par", "client_id=web&client_secret=secret-web-0123456789abcdef")]
    [InlineData("/connect/par", "client_id=web&client_secret=secret-web-0123456789abcdef&request_uri=urn:x")]
    [InlineData("/connect/device", "client_id=web&client_secret=secret-web-0123456789abcdef&scope=nope")]
    [InlineData("/connect/device", "client_id=nobody")]
    [InlineData("/connect/userinfo", "access_token=garbage")]
    public async Task Back_channel_endpoints_answer_bad_requests_with_an_oauth_error(string path, string body)
    {
        await _host.CreateClientAsync("web");
        using var http = _host.Factory.CreateClient();

        using var response = await http.PostAsync(path, new StringContent(body, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.InRange((int)response.StatusCode, 400, 401);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Contains("\"error\"", StringComparison.Ordinal) || response.Headers.WwwAuthenticate.ToString().Contains("error=", StringComparison.Ordinal), text);
    }

    [Fact]
    public async Task Non_form_bodies_on_the_token_endpoint_are_refused_cleanly()
    {
        using var http = _host.Factory.CreateClient();

        using var response = await http.PostAsync("/connect/token", new StringContent("{\"grant_type\":\"client_credentials\"}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
