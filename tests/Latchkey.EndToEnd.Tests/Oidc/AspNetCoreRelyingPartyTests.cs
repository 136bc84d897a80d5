using System.Net;
using System.Text.Json;
using AngleSharp.Html.Dom;
using Latchkey.EndToEnd.Tests.Infrastructure;

namespace Latchkey.EndToEnd.Tests.Oidc;

/// <summary>
/// Microsoft's ASP.NET Core <c>OpenIdConnect</c> handler, in an app on real Kestrel, signs in and out
/// against the real Latchkey process; and one Latchkey session serves both protocols: a browser
/// signed in through a simple-sso sample site is signed in silently (<c>prompt=none</c>) by the OIDC
/// app, and signing out through OIDC ends the session for the simple-sso sites too.
/// </summary>
public sealed class AspNetCoreRelyingPartyTests(LatchkeyDeployment deployment)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_openidconnect_handler_signs_in_through_the_login_form_and_signs_out_with_rp_initiated_logout()
    {
        await using var rp = await StartRelyingPartyAsync();
        using var browser = new Browser();
        var privatePage = new Uri(rp.Url, "private");

        var loginPage = await browser.GoAsync(privatePage, Cancellation);
        Assert.True(IsOn(deployment.ServerUrl, loginPage.Url) && Browser.FindLoginForm(loginPage) is not null, Explain(browser, rp, "expected Latchkey's login form"));
        // The handler pushes the request (PAR, advertised in discovery): the browser only carries a request_uri.
        var authorize = browser.History.First(visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Url.AbsolutePath == "/connect/authorize").Url;
        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", System.Web.HttpUtility.ParseQueryString(authorize.Query)["request_uri"], StringComparison.Ordinal);
        var sent = Assert.Single(rp.AuthorizationRequests);
        Assert.Equal("S256", sent["code_challenge_method"]);
        Assert.Equal("form_post", sent["response_mode"]);
        Assert.Equal("code", sent["response_type"]);

        var signedIn = await FollowFormPostsAsync(browser, rp, await browser.SignInAsync(loginPage, deployment.User.UserName, deployment.User.Password, Cancellation));

        Assert.True(signedIn.Url == privatePage && signedIn.Status == HttpStatusCode.OK, Explain(browser, rp, $"expected the RP's private page, got {signedIn.Url} {signedIn.Status}\n{signedIn.Body}"));
        var claims = Claims(signedIn);
        Assert.Equal(deployment.User.UserName, Single(claims, "preferred_username"));
        Assert.Equal(deployment.User.Email, Single(claims, "email"));
        Assert.False(string.IsNullOrEmpty(Single(claims, "sid")));
        Assert.Contains(browser.History, visit => IsOn(rp.Url, visit.Url) && visit.Method == HttpMethod.Post && visit.Url.AbsolutePath == OpenIdConnectRelyingParty.CallbackPath);

        var signedOut = await SignOutThroughRelyingPartyAsync(browser, rp);

        Assert.True(signedOut.Url == new Uri(rp.Url, "signed-out") && signedOut.Status == HttpStatusCode.OK, Explain(browser, rp, $"expected the RP's signed-out page, got {signedOut.Url} {signedOut.Status}"));
        var endSession = browser.History.First(visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Url.AbsolutePath == "/connect/logout").Url;
        var endSessionQuery = System.Web.HttpUtility.ParseQueryString(endSession.Query);
        Assert.False(string.IsNullOrEmpty(endSessionQuery["id_token_hint"]));
        Assert.Equal(rp.PostLogoutRedirectUri.ToString(), endSessionQuery["post_logout_redirect_uri"]);
        // The RP's state comes back unchanged on the exact registered URI (the handler found its /signed-out in it).
        var callback = browser.History.First(visit => IsOn(rp.Url, visit.Url) && visit.Url.AbsolutePath == OpenIdConnectRelyingParty.SignedOutCallbackPath).Url;
        Assert.Equal(endSessionQuery["state"], System.Web.HttpUtility.ParseQueryString(callback.Query)["state"]);
        Assert.False(string.IsNullOrEmpty(endSessionQuery["state"]));

        // The Latchkey session is gone, not just the RP's cookie: the next sign-in asks for the password.
        var again = await browser.GoAsync(privatePage, Cancellation);
        Assert.True(IsOn(deployment.ServerUrl, again.Url) && Browser.FindLoginForm(again) is not null, Explain(browser, rp, "expected Latchkey's login form after sign-out"));
    }

    [Fact]
    public async Task A_browser_signed_in_through_a_simple_sso_app_is_signed_in_silently_by_the_oidc_app_and_oidc_logout_ends_it_everywhere()
    {
        await using var rp = await StartRelyingPartyAsync();
        using var browser = new Browser();
        var loginPage = await browser.GoAsync(new Uri(deployment.AppOneUrl, "private"), Cancellation);
        var onAppOne = await browser.SignInAsync(loginPage, deployment.User.UserName, deployment.User.Password, Cancellation);
        Assert.True(onAppOne.Url == new Uri(deployment.AppOneUrl, "private"), Explain(browser, rp, $"simple-sso sign-in ended on {onAppOne.Url}"));

        var firstOidcHop = browser.History.Count;
        var silent = await FollowFormPostsAsync(browser, rp, await browser.GoAsync(new Uri(rp.Url, "silent"), Cancellation));

        Assert.True(silent.Url == new Uri(rp.Url, "private") && silent.Status == HttpStatusCode.OK, Explain(browser, rp, $"prompt=none did not sign in: {silent.Url}\n{silent.Body}"));
        Assert.Equal(deployment.User.UserName, Single(Claims(silent), "preferred_username"));
        var oidcHops = browser.History.Skip(firstOidcHop).ToList();
        Assert.Equal("none", Assert.Single(rp.AuthorizationRequests)["prompt"]);
        Assert.Contains(oidcHops, visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Url.AbsolutePath == "/connect/authorize");
        Assert.DoesNotContain(oidcHops, visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Url.AbsolutePath == "/account/login");

        await SignOutThroughRelyingPartyAsync(browser, rp);

        // app2 has never seen this browser: it goes to Latchkey, whose session OIDC logout ended.
        var appTwo = await browser.GoAsync(new Uri(deployment.AppTwoUrl, "private"), Cancellation);
        Assert.True(IsOn(deployment.ServerUrl, appTwo.Url) && Browser.FindLoginForm(appTwo) is not null, Explain(browser, rp, $"expected Latchkey's login form on app2, got {appTwo.Url}"));
    }

    [Fact]
    public async Task Prompt_none_without_a_session_comes_back_as_login_required()
    {
        await using var rp = await StartRelyingPartyAsync();
        using var browser = new Browser();

        var page = await FollowFormPostsAsync(browser, rp, await browser.GoAsync(new Uri(rp.Url, "silent"), Cancellation));

        Assert.True(page.Url.AbsolutePath == "/failed" && IsOn(rp.Url, page.Url), Explain(browser, rp, $"expected the RP's failure page, got {page.Url}\n{page.Body}"));
        Assert.Contains("login_required", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.History, visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Url.AbsolutePath == "/account/login");
    }

    private async Task<OpenIdConnectRelyingParty> StartRelyingPartyAsync()
    {
        var url = OpenIdConnectRelyingParty.ReserveUrl();
        var client = await deployment.AddClientAsync(
            new OidcClientSpec(
                "aspnetcore-rp",
                "confidential",
                ["authorization_code", "refresh_token"],
                ["openid", "profile", "email"],
                [new Uri(url, OpenIdConnectRelyingParty.CallbackPath.TrimStart('/'))],
                [new Uri(url, OpenIdConnectRelyingParty.SignedOutCallbackPath.TrimStart('/'))],
                FirstParty: true),
            Cancellation);
        return await OpenIdConnectRelyingParty.StartAsync(url, deployment.ServerUrl, client, Cancellation);
    }

    /// <summary>GET /logout on the RP and through Latchkey's end-session endpoint (confirming if asked) back to the RP.</summary>
    private async Task<BrowserPage> SignOutThroughRelyingPartyAsync(Browser browser, OpenIdConnectRelyingParty rp)
    {
        var page = await browser.GoAsync(new Uri(rp.Url, "logout"), Cancellation);
        if (IsOn(deployment.ServerUrl, page.Url) && page.Status == HttpStatusCode.OK)
        {
            var confirm = page.Document.Forms.FirstOrDefault(form =>
                string.Equals(form.Method, "post", StringComparison.OrdinalIgnoreCase)
                && (form.GetAttribute("action") ?? string.Empty).EndsWith("/connect/logout", StringComparison.Ordinal));
            Assert.True(confirm is not null, Explain(browser, rp, $"Latchkey's end-session page has no confirmation form\n{page.Body}"));
            page = await browser.SubmitAsync(page, confirm, PressedButton(confirm), Cancellation);
        }

        Assert.True(page.Url == new Uri(rp.Url, "signed-out"), Explain(browser, rp, $"sign-out ended on {page.Url} {page.Status}\n{page.Body}"));
        return page;
    }

    /// <summary>
    /// Latchkey answers <c>response_mode=form_post</c> with an auto-submitting form; this browser runs no
    /// script, so it submits the form the way the page's &lt;noscript&gt; button would.
    /// </summary>
    private static async Task<BrowserPage> FollowFormPostsAsync(Browser browser, OpenIdConnectRelyingParty rp, BrowserPage page)
    {
        for (var round = 0; round < 3; round++)
        {
            var form = page.Document.Forms.FirstOrDefault(candidate =>
                string.Equals(candidate.Method, "post", StringComparison.OrdinalIgnoreCase)
                && candidate.GetAttribute("action") is { } action
                && Uri.TryCreate(action, UriKind.Absolute, out var target) && IsOn(rp.Url, target));
            if (form is null)
            {
                return page;
            }

            page = await browser.SubmitAsync(page, form, values: null, Cancellation);
        }

        return page;
    }

    private static Dictionary<string, string> PressedButton(IHtmlFormElement form) =>
        form.QuerySelectorAll("button[name]").OfType<IHtmlButtonElement>().FirstOrDefault() is { } button
            ? new Dictionary<string, string> { [button.Name!] = button.Value }
            : [];

    private static Dictionary<string, string[]> Claims(BrowserPage page) =>
        JsonSerializer.Deserialize<Dictionary<string, string[]>>(page.Body)
        ?? throw new InvalidOperationException($"The RP's private page is not a claims object: {page.Body}");

    private static string? Single(Dictionary<string, string[]> claims, string type) =>
        claims.TryGetValue(type, out var values) ? Assert.Single(values) : null;

    private static bool IsOn(Uri site, Uri url) =>
        Uri.Compare(site, url, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private string Explain(Browser browser, OpenIdConnectRelyingParty rp, string problem) =>
        problem + "\nHops:\n" + string.Join("\n", browser.History.Select(v => $"  {v.Method} {v.Url} -> {(int)v.Status} {v.Location}"))
        + "\n===== relying party =====\n" + rp.Log + "\n" + deployment.Logs();
}
