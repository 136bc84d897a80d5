using System.Net;
using AngleSharp.Html.Dom;
using Latchkey.Server.Tests.Infrastructure;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>Third-party clients ask for consent; the user's answer is remembered, and revocable at /account/consents.</summary>
public sealed class ConsentTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static async Task<HttpResponseMessage> DecideAsync(HttpClient browser, HttpResponseMessage consentPage, string url, bool allow)
    {
        Assert.Equal(HttpStatusCode.OK, consentPage.StatusCode);
        var document = await HtmlForms.ParseAsync(consentPage);
        return await HtmlForms.SubmitAsync(browser, document, new Uri(browser.BaseAddress!, url),
            new Dictionary<string, string?> { [allow ? "submit.Accept" : "submit.Deny"] = "x" });
    }

    [Fact]
    public async Task Third_party_client_shows_the_consent_page_with_the_requested_scopes()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var browser = await _host.SignInAsync();

        using var page = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), scope: "openid email"));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var document = await HtmlForms.ParseAsync(page);
        Assert.Equal("App partner", document.QuerySelector("#client-name")?.TextContent);
        Assert.Equal(["openid", "email"], document.QuerySelectorAll("#requested-scopes li").Select(li => li.GetAttribute("data-scope")));
        Assert.NotNull(document.QuerySelector("input[name=__RequestVerificationToken]"));
    }

    [Fact]
    public async Task Allow_issues_a_code_and_is_remembered_for_the_same_scopes()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var browser = await _host.SignInAsync();
        var pkce = Pkce.Create();
        var url = AuthorizeUrl(client, pkce, scope: "openid email");

        using var page = await browser.GetAsync(url);
        using var decided = await DecideAsync(browser, page, url, allow: true);

        var parameters = RedirectParameters(decided, client);
        Assert.Equal("state-123", parameters["state"]);
        Assert.Equal(HttpStatusCode.OK, (await _host.RedeemCodeAsync(client, parameters["code"], pkce)).Status);

        // Remembered: no page the second time, even with prompt=none.
        var again = await _host.GetCodeAsync(browser, client, Pkce.Create(), scope: "openid email", extra: ("prompt", "none"));
        Assert.False(string.IsNullOrEmpty(again));

        // More scopes than consented: ask again.
        using var wider = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), scope: "openid email profile"));
        Assert.Equal(HttpStatusCode.OK, wider.StatusCode);
    }

    [Fact]
    public async Task Deny_returns_access_denied_to_the_client()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var browser = await _host.SignInAsync();
        var url = AuthorizeUrl(client, Pkce.Create());

        using var page = await browser.GetAsync(url);
        using var decided = await DecideAsync(browser, page, url, allow: false);

        var parameters = RedirectParameters(decided, client);
        Assert.Equal("access_denied", parameters["error"]);
        Assert.Equal("state-123", parameters["state"]);
    }

    [Fact]
    public async Task A_decision_without_the_antiforgery_token_is_refused()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var browser = await _host.SignInAsync();
        var url = AuthorizeUrl(client, Pkce.Create());
        using var page = await browser.GetAsync(url);
        var document = await HtmlForms.ParseAsync(page);

        using var forged = await HtmlForms.SubmitAsync(browser, document, new Uri(browser.BaseAddress!, url),
            new Dictionary<string, string?> { ["submit.Accept"] = "x", ["__RequestVerificationToken"] = null });

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(forged.Headers.Location);
    }

    [Fact]
    public async Task Prompt_none_when_consent_is_needed_is_consent_required()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);

        using var response = await (await _host.SignInAsync()).GetAsync(AuthorizeUrl(client, Pkce.Create(), extra: ("prompt", "none")));

        Assert.Equal("consent_required", RedirectParameters(response, client)["error"]);
    }

    [Fact]
    public async Task Prompt_consent_shows_the_page_even_when_consent_was_given()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var browser = await _host.SignInAsync();
        var url = AuthorizeUrl(client, Pkce.Create(), scope: "openid");
        using (var page = await browser.GetAsync(url))
        using (var decided = await DecideAsync(browser, page, url, allow: true))
        {
            Assert.True(RedirectParameters(decided, client).ContainsKey("code"));
        }

        using var forced = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), scope: "openid", extra: ("prompt", "consent")));

        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.NotNull((await HtmlForms.ParseAsync(forced)).QuerySelector("#client-name"));
    }

    [Fact]
    public async Task First_party_clients_never_ask()
    {
        var client = await _host.CreateClientAsync("web", firstParty: true);

        var code = await _host.GetCodeAsync(await _host.SignInAsync(), client, Pkce.Create());

        Assert.False(string.IsNullOrEmpty(code));
    }

    [Fact]
    public async Task Users_see_their_consents_and_revoking_one_revokes_its_tokens_and_asks_again()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var browser = await _host.SignInAsync();
        var pkce = Pkce.Create();
        var url = AuthorizeUrl(client, pkce, scope: "openid offline_access");
        using var page = await browser.GetAsync(url);
        using var decided = await DecideAsync(browser, page, url, allow: true);
        var (_, tokens) = await _host.RedeemCodeAsync(client, RedirectParameters(decided, client)["code"], pkce);
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        var access = tokens.GetProperty("access_token").GetString()!;

        using var list = await browser.GetAsync("/account/consents");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var document = await HtmlForms.ParseAsync(list);
        var row = document.QuerySelector("tr[data-client-id=partner]");
        Assert.NotNull(row);
        var form = (IHtmlFormElement)row!.QuerySelector("form")!;

        using var revoked = await HtmlForms.SubmitAsync(browser, document, new Uri(browser.BaseAddress!, "/account/consents"), formSelector: "tr[data-client-id=partner] form");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.NotNull(form);
        Assert.Null((await HtmlForms.ParseAsync(revoked)).QuerySelector("tr[data-client-id=partner]"));

        Assert.False((await _host.IntrospectAsync(client, refresh)).Body.GetProperty("active").GetBoolean());
        Assert.False((await _host.IntrospectAsync(client, access)).Body.GetProperty("active").GetBoolean());
        Assert.Equal("invalid_grant", (await _host.RefreshAsync(client, refresh)).Body.GetProperty("error").GetString());
        using var asksAgain = await browser.GetAsync(AuthorizeUrl(client, Pkce.Create(), scope: "openid offline_access"));
        Assert.Equal(HttpStatusCode.OK, asksAgain.StatusCode);
    }

    [Fact]
    public async Task Users_cannot_revoke_someone_elses_consent()
    {
        var client = await _host.CreateClientAsync("partner", firstParty: false);
        var alice = await _host.SignInAsync();
        var url = AuthorizeUrl(client, Pkce.Create(), scope: "openid");
        using (var page = await alice.GetAsync(url))
        using (await DecideAsync(alice, page, url, allow: true))
        {
        }

        var consentId = (await HtmlForms.ParseAsync(await alice.GetAsync("/account/consents"))).QuerySelector("tr[data-client-id=partner]")!.GetAttribute("data-consent-id")!;
        await _host.Factory.CreateUserAsync("mallory", "mallorys password");
        var mallory = await _host.Factory.SignInAsync("mallory", "mallorys password");
        var malloryPage = await HtmlForms.ParseAsync(await mallory.GetAsync("/account/consents"));
        Assert.NotNull(malloryPage.QuerySelector("#no-consents"));
        var token = malloryPage.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value");

        using var attempt = await mallory.PostAsync("/account/consents?handler=Revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id"] = consentId,
            ["__RequestVerificationToken"] = token ?? "",
        }));

        Assert.Equal(HttpStatusCode.NotFound, attempt.StatusCode);
        Assert.NotNull((await HtmlForms.ParseAsync(await alice.GetAsync("/account/consents"))).QuerySelector("tr[data-client-id=partner]"));
    }

    [Fact]
    public async Task Consents_page_requires_sign_in()
    {
        using var response = await _host.Factory.CreateBrowser().GetAsync("/account/consents");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/account/login", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }
}
