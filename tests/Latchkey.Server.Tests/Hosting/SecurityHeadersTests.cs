using System.Net;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Hosting;

public sealed class SecurityHeadersTests : IAsyncLifetime
{
    private readonly LatchkeyServerFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Theory]
    [InlineData("/")]
    [InlineData("/account/logout")]
    [InlineData("/account/denied")]
    [InlineData("/no-such-page")]
    public async Task Every_response_carries_the_defensive_headers(string path)
    {
        using var response = await _factory.CreateBrowser().GetAsync(path);

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'",
            Header(response, "Content-Security-Policy"));
    }

    [Fact]
    public async Task Login_page_omits_form_action_so_post_login_redirects_to_clients_are_not_blocked()
    {
        using var response = await _factory.CreateBrowser().GetAsync("/account/login?returnUrl=%2Fsso%2Fauthorize%2F");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'", Header(response, "Content-Security-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Contains("no-store", Header(response, "Cache-Control"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_cookie_is_http_only_and_lax()
    {
        await _factory.CreateUserAsync("carol", "carol's password");

        using var response = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "carol", "carol's password");

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("latchkey.session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", cookie, StringComparison.OrdinalIgnoreCase);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues)
        : throw new Xunit.Sdk.XunitException($"Header {name} missing on {response.RequestMessage?.RequestUri}");
}
