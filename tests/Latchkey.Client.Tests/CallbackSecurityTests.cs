using System.Net;
using Latchkey.Client.AspNetCore;
using Latchkey.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Client.Tests;

public sealed class CallbackSecurityTests
{
    /// <summary>Runs login start and authorize in <paramref name="browser"/> and returns the callback URL the server sent it to, unvisited.</summary>
    private static async Task<Uri> CallbackUrlAsync(SsoHarness harness, Browser browser, string next = "/target")
    {
        var start = await browser.GetAsync(harness.ClientUrl("sso/login/?next=" + Uri.EscapeDataString(next)));
        Assert.Equal(HttpStatusCode.Redirect, start.Status);
        var authorize = await browser.GetAsync(new Uri(start.Location!));
        Assert.Equal(HttpStatusCode.Redirect, authorize.Status);
        return new Uri(authorize.Location!);
    }

    private static async Task AssertSignedOutAsync(SsoHarness harness, Browser browser) =>
        Assert.Equal("anonymous", (await browser.GetAsync(harness.ClientBase)).Body);

    private static Uri WithAccessToken(Uri callback, string? accessToken)
    {
        var query = QueryHelpers.ParseQuery(callback.Query);
        var rebuilt = query.Where(p => p.Key != "access_token").ToDictionary(p => p.Key, p => (string?)p.Value.ToString());
        if (accessToken is not null)
        {
            rebuilt["access_token"] = accessToken;
        }

        return new Uri(QueryHelpers.AddQueryString(callback.GetLeftPart(UriPartial.Path), rebuilt));
    }

    private static string AccessToken(Uri callback) => QueryHelpers.ParseQuery(callback.Query)["access_token"].ToString();

    [Fact]
    public async Task Callback_in_a_browser_that_did_not_start_the_login_is_refused()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V0_24);
        var victim = harness.NewBrowser();
        var attacker = harness.NewBrowser();
        var callback = await CallbackUrlAsync(harness, attacker);

        // Login CSRF: the attacker's valid callback URL opened in the victim's browser.
        var refused = await victim.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("not started in this browser", refused.Body);
        await AssertSignedOutAsync(harness, victim);
        Assert.DoesNotContain(harness.Server.Calls, c => c.Endpoint == "verify/");

        // The browser that started it still can.
        var accepted = await attacker.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, accepted.Status);
        Assert.Equal("/target", accepted.Location);
    }

    [Fact]
    public async Task Callback_url_cannot_be_replayed_after_use_even_though_the_python_server_would_verify_again()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V0_24);
        var browser = harness.NewBrowser();
        var callback = await CallbackUrlAsync(harness, browser);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync(callback)).Status);

        var replay = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Forbidden, replay.Status);
        Assert.Single(harness.Server.Calls, c => c.Endpoint == "verify/");
    }

    [Fact]
    public async Task State_from_another_login_does_not_match_this_browsers_cookie()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        var browser = harness.NewBrowser();
        var other = harness.NewBrowser();
        var mine = await CallbackUrlAsync(harness, browser);
        var theirs = await CallbackUrlAsync(harness, other);

        // The attacker's token and state, pasted into a callback opened by a browser holding a different login's cookie.
        var response = await browser.GetAsync(theirs);

        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync(mine)).Status);
    }

    [Fact]
    public async Task Missing_access_token_is_400()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        var browser = harness.NewBrowser();
        var callback = await CallbackUrlAsync(harness, browser);

        var response = await browser.GetAsync(WithAccessToken(callback, null));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("Single sign-on failed: The access token is missing.\n", response.Body);
        await AssertSignedOutAsync(harness, browser);
    }

    public static TheoryData<string> Tamperings => ["signature", "payload", "timestamp", "wrong-key", "garbage", "empty-mac"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Forged_or_tampered_access_token_is_400_and_never_reaches_verify(string how)
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        var browser = harness.NewBrowser();
        var callback = await CallbackUrlAsync(harness, browser);
        var token = AccessToken(callback);
        var parts = token.Split('.');
        var rawTs = harness.Time.GetUtcNow().ToUnixTimeSeconds();
        var forged = how switch
        {
            "signature" => parts[0] + "." + parts[1] + "." + Flip(parts[2]),
            "payload" => Flip(parts[0]) + "." + parts[1] + "." + parts[2],
            "timestamp" => parts[0] + "." + PyItsDangerous.B64([0x6B, 0x0B, 0xE0, 0x68]) + "." + parts[2],
            "wrong-key" => PyItsDangerous.DumpsUrlSafe("not-the-key", new string('Z', 64), rawTs),
            "garbage" => "not a token at all",
            _ => parts[0] + "." + parts[1] + ".",
        };

        var response = await browser.GetAsync(WithAccessToken(callback, forged));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("The access token is invalid.", response.Body);
        Assert.DoesNotContain(forged, response.Body);
        Assert.DoesNotContain(harness.Server.Calls, c => c.Endpoint == "verify/");
        await AssertSignedOutAsync(harness, browser);
    }

    [Fact]
    public async Task Access_token_older_than_MaxTokenAge_is_400_even_though_the_server_would_still_accept_it()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, o => o.MaxTokenAge = TimeSpan.FromMinutes(1));
        var browser = harness.NewBrowser();
        var callback = await CallbackUrlAsync(harness, browser);

        // Still inside the server's 5-minute token window and the correlation cookie's 10 minutes.
        harness.Time.Advance(TimeSpan.FromSeconds(61));
        var response = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("The access token has expired.", response.Body);
        Assert.DoesNotContain(harness.Server.Calls, c => c.Endpoint == "verify/");
    }

    [Fact]
    public async Task Access_token_at_exactly_MaxTokenAge_is_accepted()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, o => o.MaxTokenAge = TimeSpan.FromMinutes(1));
        var browser = harness.NewBrowser();
        var callback = await CallbackUrlAsync(harness, browser);

        harness.Time.Advance(TimeSpan.FromSeconds(60));
        var response = await browser.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Redirect, response.Status);
    }

    [Fact]
    public async Task Correlation_cookie_is_HttpOnly_Lax_scoped_to_the_callback_and_short_lived()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, o => o.RemoteAuthenticationTimeout = TimeSpan.FromMinutes(2));
        var browser = harness.NewBrowser();

        var start = await browser.GetAsync(harness.ClientUrl("sso/login/?next=/x"));

        Assert.Equal(HttpStatusCode.Redirect, start.Status);
        var header = Assert.Single(browser.SetCookieHeaders);
        var state = QueryHelpers.ParseQuery(harness.LastRedirectTarget.Query)["state"].ToString();
        Assert.StartsWith(SimpleSsoDefaults.CorrelationCookiePrefix + state + "=", header);
        var attributes = header.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=lax", attributes);
        Assert.Contains("path=/sso/authenticate/", attributes);
        Assert.Contains("expires=" + harness.Time.GetUtcNow().AddMinutes(2).ToString("R").ToLowerInvariant(), attributes);
    }

    [Fact]
    public async Task Login_start_that_fails_sets_no_correlation_cookie()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        harness.Server.SignRequestTokenResponseWithWrongKey = true;
        var browser = harness.NewBrowser();

        await browser.GetAsync(harness.ClientUrl("sso/login/?next=/x"));

        Assert.Empty(browser.SetCookieHeaders);
    }

    [Theory]
    [InlineData(VerifyBehaviour.Always500, HttpStatusCode.Forbidden, "did not accept the access token")]
    [InlineData(VerifyBehaviour.SignWithWrongKey, HttpStatusCode.BadGateway, "answer could not be verified")]
    public async Task Verify_failures_are_refusals_not_500s(VerifyBehaviour behaviour, HttpStatusCode expected, string reason)
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V0_24);
        harness.Server.Verify = behaviour;
        var browser = harness.NewBrowser();

        var trail = await browser.NavigateAsync(harness.ClientUrl("private"));

        Assert.Equal(expected, trail[^1].Status);
        Assert.Contains(reason, trail[^1].Body);
        await AssertSignedOutAsync(harness, browser);
    }

    [Fact]
    public async Task Request_token_response_signed_with_another_key_is_a_502()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        harness.Server.SignRequestTokenResponseWithWrongKey = true;

        var response = await harness.NewBrowser().GetAsync(harness.ClientUrl("sso/login/?next=/x"));

        Assert.Equal(HttpStatusCode.BadGateway, response.Status);
        Assert.Contains("answer could not be verified", response.Body);
    }

    [Fact]
    public async Task Wrong_private_key_on_the_client_is_refused_by_the_server_and_shown_as_502()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, o => o.PrivateKey = "some-other-private-key");

        var response = await harness.NewBrowser().GetAsync(harness.ClientUrl("sso/login/"));

        Assert.Equal(HttpStatusCode.BadGateway, response.Status);
        Assert.Equal("Bad Signature", await LastServerAnswerAsync(harness));
    }

    [Fact]
    public async Task Unreachable_server_is_a_502()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var client = await SsoHarness.StartClientAsync(time, o =>
        {
            // Port 1 on loopback: connection refused.
            o.ServerUrl = "http://127.0.0.1:1/sso/";
            o.PublicKey = "p";
            o.PrivateKey = "k";
        });
        using var browser = new Browser();
        var address = client.Urls.Single();

        var response = await browser.GetAsync(new Uri(new Uri(address), "/sso/login/"));

        Assert.Equal(HttpStatusCode.BadGateway, response.Status);
        Assert.Contains("could not be reached", response.Body);
    }

    [Fact]
    public async Task Inactive_user_is_refused()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        harness.Server.SignedInUser = [.. FakeSimpleSsoServer.Alice().Where(f => f.Key != "is_active"), new("is_active", "false")];
        var browser = harness.NewBrowser();

        var trail = await browser.NavigateAsync(harness.ClientUrl("private"));

        Assert.Equal(HttpStatusCode.Forbidden, trail[^1].Status);
        Assert.Contains("inactive", trail[^1].Body);
        await AssertSignedOutAsync(harness, browser);
    }

    [Fact]
    public async Task User_payload_without_username_is_a_502()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        harness.Server.SignedInUser = [.. FakeSimpleSsoServer.Alice().Where(f => f.Key != "username")];
        var browser = harness.NewBrowser();

        var trail = await browser.NavigateAsync(harness.ClientUrl("private"));

        Assert.Equal(HttpStatusCode.BadGateway, trail[^1].Status);
        await AssertSignedOutAsync(harness, browser);
    }

    private static async Task<string> LastServerAnswerAsync(SsoHarness harness)
    {
        // Replays the client's last request to read the server's plain-text reason (the client never shows it to users).
        var call = harness.Server.Calls.Last();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, harness.Server.SsoUrl + call.Endpoint) { Content = new StringContent(call.Body) };
        request.Headers.Add("X-Services-Public-Key", call.PublicKey);
        using var response = await http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static string Flip(string text) => (text[0] == 'A' ? "B" : "A") + text[1..];
}
