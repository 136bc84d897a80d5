using System.Net;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>RP-initiated logout: id_token_hint, exact post_logout_redirect_uri, state; ends the SSO session.</summary>
public sealed class LogoutTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task<(TestClient Client, HttpClient Browser, string IdToken)> SignedInAsync()
    {
        var client = await _host.CreateClientAsync("web");
        var browser = await _host.SignInAsync();
        var pkce = Pkce.Create();
        var (_, tokens) = await _host.RedeemCodeAsync(client, await _host.GetCodeAsync(browser, client, pkce), pkce);
        return (client, browser, tokens.GetProperty("id_token").GetString()!);
    }

    private static string LogoutUrl(params (string Key, string? Value)[] parameters) =>
        QueryHelpers.AddQueryString("/connect/logout", parameters.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));

    private static async Task<bool> IsSignedInAsync(HttpClient browser)
    {
        var home = await HtmlForms.ParseAsync(await browser.GetAsync("/"));
        return home.QuerySelector("#signed-in") is not null;
    }

    [Fact]
    public async Task Valid_id_token_hint_signs_out_and_redirects_to_the_registered_uri_with_state()
    {
        var (client, browser, idToken) = await SignedInAsync();
        Assert.True(await IsSignedInAsync(browser));

        using var response = await browser.GetAsync(LogoutUrl(("id_token_hint", idToken), ("post_logout_redirect_uri", client.PostLogoutRedirectUri), ("state", "bye-1")));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal(client.PostLogoutRedirectUri, location.GetLeftPart(UriPartial.Path));
        Assert.Equal("bye-1", QueryHelpers.ParseQuery(location.Query)["state"].ToString());
        Assert.False(await IsSignedInAsync(browser));

        // The SSO session is over for OIDC too: prompt=none now gets login_required.
        using var silent = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: ("prompt", "none")));
        Assert.Equal("login_required", RedirectParameters(silent, client)["error"]);
    }

    [Fact]
    public async Task Without_id_token_hint_the_user_is_asked_and_confirming_signs_out()
    {
        var (client, browser, _) = await SignedInAsync();

        using var page = await browser.GetAsync(LogoutUrl(("post_logout_redirect_uri", client.PostLogoutRedirectUri), ("client_id", client.ClientId), ("state", "s")));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(await IsSignedInAsync(browser));
        var document = await HtmlForms.ParseAsync(page);
        using var confirmed = await HtmlForms.SubmitAsync(browser, document, new Uri(browser.BaseAddress!, "/connect/logout"),
            new Dictionary<string, string?> { ["submit.Confirm"] = "yes" });
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        Assert.StartsWith(client.PostLogoutRedirectUri, confirmed.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        Assert.False(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task Confirmation_without_antiforgery_token_does_not_sign_out()
    {
        var (client, browser, _) = await SignedInAsync();

        using var forged = await browser.PostAsync("/connect/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["post_logout_redirect_uri"] = client.PostLogoutRedirectUri,
            ["submit.Confirm"] = "yes",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task Unregistered_post_logout_redirect_uri_is_rejected_without_redirecting()
    {
        var (_, browser, idToken) = await SignedInAsync();

        using var response = await browser.GetAsync(LogoutUrl(("id_token_hint", idToken), ("post_logout_redirect_uri", "https://evil.example/")));

        await AssertErrorPageAsync(response, "invalid_request");
        Assert.True(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task Garbage_id_token_hint_is_rejected()
    {
        var (client, browser, _) = await SignedInAsync();

        using var response = await browser.GetAsync(LogoutUrl(("id_token_hint", "not.a.jwt"), ("post_logout_redirect_uri", client.PostLogoutRedirectUri)));

        await AssertErrorPageAsync(response, "invalid_request");
        Assert.True(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task Hint_for_another_user_asks_instead_of_signing_out()
    {
        var (client, browser, _) = await SignedInAsync();
        await _host.Factory.CreateUserAsync("bob", "bobs password 123");
        var bob = await _host.Factory.SignInAsync("bob", "bobs password 123");
        var pkce = Pkce.Create();
        var (_, bobs) = await _host.RedeemCodeAsync(client, await _host.GetCodeAsync(bob, client, pkce), pkce);

        using var response = await browser.GetAsync(LogoutUrl(("id_token_hint", bobs.GetProperty("id_token").GetString()), ("post_logout_redirect_uri", client.PostLogoutRedirectUri)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task Without_a_session_logout_just_redirects_to_the_client()
    {
        var (client, _, idToken) = await SignedInAsync();

        using var response = await _host.Factory.CreateBrowser().GetAsync(LogoutUrl(("id_token_hint", idToken), ("post_logout_redirect_uri", client.PostLogoutRedirectUri), ("state", "x")));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(client.PostLogoutRedirectUri, response.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Front_channel_logout_uris_of_participating_clients_are_rendered_before_returning_to_the_client()
    {
        var client = await _host.CreateClientAsync("web", properties: new Dictionary<string, object>
        {
            ["frontchannel_logout_uri"] = "https://web.example/frontchannel",
            ["frontchannel_logout_session_required"] = true,
        });
        var browser = await _host.SignInAsync();
        var pkce = Pkce.Create();
        var (_, tokens) = await _host.RedeemCodeAsync(client, await _host.GetCodeAsync(browser, client, pkce), pkce);
        var idToken = tokens.GetProperty("id_token").GetString()!;
        var sid = ReadJwt(idToken).GetClaim("sid").Value;

        using var page = await browser.GetAsync(LogoutUrl(("id_token_hint", idToken), ("post_logout_redirect_uri", client.PostLogoutRedirectUri), ("state", "s1")));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(await IsSignedInAsync(browser));
        var document = await HtmlForms.ParseAsync(page);
        var frame = new Uri(document.QuerySelector("iframe.frontchannel-logout")!.GetAttribute("src")!);
        Assert.Equal("https://web.example/frontchannel", frame.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(frame.Query);
        Assert.Equal("http://localhost/", query["iss"].ToString());
        Assert.Equal(sid, query["sid"].ToString());
        Assert.Contains("frame-src https://web.example", string.Join(";", page.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);

        // Continue: no session any more, so the end-session request completes with the redirect and state.
        using var next = await browser.GetAsync(document.QuerySelector("#continue")!.GetAttribute("href")!);
        Assert.Equal(HttpStatusCode.Redirect, next.StatusCode);
        Assert.Equal(client.PostLogoutRedirectUri, next.Headers.Location!.GetLeftPart(UriPartial.Path));
        Assert.Equal("s1", QueryHelpers.ParseQuery(next.Headers.Location.Query)["state"].ToString());
    }
}
