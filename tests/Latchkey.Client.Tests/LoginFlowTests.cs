using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Latchkey.Client.AspNetCore;
using Latchkey.Client.Tests.Infrastructure;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.WebUtilities;

namespace Latchkey.Client.Tests;

public sealed class LoginFlowTests
{
    public static TheoryData<PythonItsDangerous> ServerVersions => [PythonItsDangerous.V0_24, PythonItsDangerous.V2];

    [Theory]
    [MemberData(nameof(ServerVersions))]
    public async Task Protected_page_signs_in_through_the_python_server_and_lands_on_next_with_all_claims(PythonItsDangerous version)
    {
        await using var harness = await SsoHarness.StartAsync(version);
        harness.Server.SignedInUser =
        [
            .. FakeSimpleSsoServer.Alice().Where(f => f.Key is not ("is_staff" or "is_superuser")),
            new("is_staff", "true"),
            new("is_superuser", "false"),
            new("extra_data", "{\"department\": \"R&D\", \"level\": 3}"),
            new("employee_id", "42"),
            new("nickname", "\"Al\""),
        ];
        var browser = harness.NewBrowser();

        var trail = await browser.NavigateAsync(harness.ClientUrl("private/page?x=1"));

        Assert.Equal("/sso/login/?next=%2Fprivate%2Fpage%3Fx%3D1", trail[0].Location);
        Assert.StartsWith(harness.Server.SsoUrl + "authorize/?token=", trail[1].Location);
        Assert.StartsWith(harness.ClientUrl("sso/authenticate/?next=%2Fprivate%2Fpage%3Fx%3D1&state=").ToString(), trail[2].Location);
        Assert.Equal("/private/page?x=1", trail[3].Location);
        var page = trail[^1];
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var claims = Claims(page);
        Assert.Equal("alice", claims[ClaimTypes.NameIdentifier]);
        Assert.Equal("alice", claims[ClaimTypes.Name]);
        Assert.Equal("alice@example.org", claims[ClaimTypes.Email]);
        Assert.Equal("Alice", claims[ClaimTypes.GivenName]);
        Assert.Equal("Liddell", claims[ClaimTypes.Surname]);
        Assert.Equal("true", claims[SimpleSsoClaimTypes.IsStaff]);
        Assert.Equal("false", claims[SimpleSsoClaimTypes.IsSuperuser]);
        Assert.Equal("true", claims[SimpleSsoClaimTypes.IsActive]);
        Assert.Equal("{\"department\": \"R&D\", \"level\": 3}", claims[SimpleSsoClaimTypes.ExtraData]);
        Assert.Equal("42", claims["simple_sso:employee_id"]);
        Assert.Equal("Al", claims["simple_sso:nickname"]);

        // Both server-to-server calls carried the key and a fixed-length body, never chunked.
        var calls = harness.Server.Calls.ToArray();
        Assert.Equal(["request-token/", "verify/"], calls.Select(c => c.Endpoint));
        Assert.All(calls, c =>
        {
            Assert.Equal(FakeSimpleSsoServer.PublicKey, c.PublicKey);
            Assert.Equal(c.Body.Length, c.ContentLength);
            Assert.Equal("", c.TransferEncoding);
        });
        Assert.Equal(
            harness.ClientUrl("sso/authenticate/") + "?next=%2Fprivate%2Fpage%3Fx%3D1&state=",
            harness.Server.RedirectTargets.Single()[..^43]);

        // The session cookie now carries the user.
        var home = await browser.GetAsync(harness.ClientBase);
        Assert.Equal("signed in as alice", home.Body);
    }

    [Theory]
    [MemberData(nameof(ServerVersions))]
    public async Task Compressed_access_token_form_is_accepted(PythonItsDangerous version)
    {
        await using var harness = await SsoHarness.StartAsync(version);
        harness.Server.NewAccessToken = () => new string('a', 60) + RandomSuffix();
        var browser = harness.NewBrowser();

        var trail = await browser.NavigateAsync(harness.ClientUrl("sso/login/?next=/done"));

        var callback = trail.Single(r => r.Url.AbsolutePath == "/sso/authenticate/");
        Assert.StartsWith(".", QueryHelpers.ParseQuery(callback.Url.Query)["access_token"].ToString());
        Assert.Equal("/done", callback.Location);
        Assert.Equal(HttpStatusCode.OK, trail[^1].Status);
    }

    [Fact]
    public async Task Client_signing_legacy_timestamps_works_with_a_0_24_server()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V0_24, o => o.TimestampEpoch = TimestampEpoch.Legacy2011);
        var trail = await harness.NewBrowser().NavigateAsync(harness.ClientUrl("private"));
        Assert.Equal(HttpStatusCode.OK, trail[^1].Status);
    }

    [Fact]
    public async Task Client_signing_legacy_timestamps_is_refused_by_a_2x_server_as_a_502_not_a_500()
    {
        // The "mixed deployment" row of spec 4.4: the 2.x server answers 400 "Signature expired".
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, o => o.TimestampEpoch = TimestampEpoch.Legacy2011);
        var response = await harness.NewBrowser().GetAsync(harness.ClientUrl("sso/login/?next=/x"));
        Assert.Equal(HttpStatusCode.BadGateway, response.Status);
        Assert.Contains("refused the login request", response.Body);
    }

    [Fact]
    public async Task UserExtraData_is_sent_with_verify()
    {
        using var extra = JsonDocument.Parse("[\"groups\", \"phone\"]");
        var value = extra.RootElement.Clone();
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, o => o.UserExtraData = value);

        var trail = await harness.NewBrowser().NavigateAsync(harness.ClientUrl("private"));

        Assert.Equal(HttpStatusCode.OK, trail[^1].Status);
        using var verify = JsonDocument.Parse(harness.Server.Calls.Single(c => c.Endpoint == "verify/").Body[..^35]);
        Assert.Equal("[\"groups\",\"phone\"]", verify.RootElement.GetProperty("extra_data").GetRawText());
    }

    [Fact]
    public async Task Site_under_a_path_base_keeps_it_in_every_redirect_and_cookie_path()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, pathBase: "/app");
        var browser = harness.NewBrowser();

        var trail = await browser.NavigateAsync(harness.ClientUrl("app/private"));

        Assert.Equal("/app/sso/login/?next=%2Fapp%2Fprivate", trail[0].Location);
        Assert.StartsWith(harness.ClientUrl("app/sso/authenticate/?next=%2Fapp%2Fprivate&state=").ToString(), harness.Server.RedirectTargets.Single());
        Assert.Contains(browser.SetCookieHeaders, h => h.Contains("path=/app/sso/authenticate/", StringComparison.Ordinal));
        Assert.Equal("/app/private", trail[^2].Location);
        Assert.Equal(HttpStatusCode.OK, trail[^1].Status);
        using var page = JsonDocument.Parse(trail[^1].Body);
        Assert.Equal("/private", page.RootElement.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Challenge_redirects_to_login_start_with_the_current_path_as_next()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        var response = await harness.NewBrowser().GetAsync(harness.ClientUrl("reports/2026?q=a%20b"));
        Assert.Equal(HttpStatusCode.Redirect, response.Status);
        Assert.Equal("/sso/login/?next=%2Freports%2F2026%3Fq%3Da%2520b", response.Location);
    }

    [Theory]
    [MemberData(nameof(ServerVersions))]
    public async Task Golden_access_tokens_from_the_spec_sign_in(PythonItsDangerous version)
    {
        // Spec 4.5: both epochs' URL-safe tokens for the same raw token at 2025-01-01T00:00:00Z.
        const string rawToken = "Y4x1NkM9PJUer1OjfquQjEIwalyNyGlWWIWNAC80htKMTrZs0DV6Im7M00nhJquv";
        var signed = version == PythonItsDangerous.V0_24
            ? "Ilk0eDFOa005UEpVZXIxT2pmcXVRakVJd2FseU55R2xXV0lXTkFDODBodEtNVHJaczBEVjZJbTdNMDBuaEpxdXYi.GlYXAA.lFqDHFew-ImD85IL0D9xqY2BWcM"
            : "Ilk0eDFOa005UEpVZXIxT2pmcXVRakVJd2FseU55R2xXV0lXTkFDODBodEtNVHJaczBEVjZJbTdNMDBuaEpxdXYi.Z3SFgA.a_etfaa1OJIMQIEznzj9mSy6f_c";
        await using var harness = await SsoHarness.StartAsync(
            version,
            start: new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            privateKey: "s3cr3t-private-key");
        harness.Server.AddBoundToken(rawToken);
        var browser = harness.NewBrowser();

        var start = await browser.GetAsync(harness.ClientUrl("sso/login/?next=/golden"));
        Assert.Equal(HttpStatusCode.Redirect, start.Status);
        var callback = await browser.GetAsync(new Uri(harness.LastRedirectTarget + "&access_token=" + signed));

        Assert.Equal(HttpStatusCode.Redirect, callback.Status);
        Assert.Equal("/golden", callback.Location);
        Assert.Contains("\"access_token\":\"" + rawToken + "\"", harness.Server.Calls.Last().Body.Replace(" ", ""));
        Assert.Equal("signed in as alice", (await browser.GetAsync(harness.ClientBase)).Body);
    }

    [Fact]
    public void Compressed_example_from_the_spec_has_the_zlib_shape()
    {
        // Its secret is unpublished, so only the codec shape can be checked: "." + b64url(zlib("\"aaa…\"")).
        const string example = ".eJxTSqQQKAEANbUYhQ.awvbgA.XUcdVf6gpHRItg1WWAk_m2dEDFc";
        var parts = example[1..].Split('.');
        Assert.Equal(3, parts.Length);
        Assert.True(PyItsDangerous.TryUnB64(parts[0], out var compressed));
        using var inflater = new System.IO.Compression.ZLibStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(inflater);
        Assert.Equal("\"" + new string('a', 64) + "\"", reader.ReadToEnd());
        Assert.True(PyItsDangerous.TryUnB64(parts[2], out var mac));
        Assert.Equal(20, mac.Length);

        // The same shape from our codec, opened again.
        var signer = new TimedSigner("k");
        var now = new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
        var sealedToken = UrlSafeToken.Seal(new string('a', 64), signer, now);
        Assert.StartsWith(".", sealedToken);
        Assert.Equal(new string('a', 64), UrlSafeToken.Open(sealedToken, signer, now, FreshnessWindow.Default).Value);
    }

    internal static Dictionary<string, string> Claims(BrowserResponse page)
    {
        using var json = JsonDocument.Parse(page.Body);
        return json.RootElement.GetProperty("claims").EnumerateArray()
            .GroupBy(c => c[0].GetString()!)
            .ToDictionary(g => g.Key, g => g.Single()[1].GetString()!);
    }

    private static string RandomSuffix() => Guid.NewGuid().ToString("N")[..4].Replace('-', 'b');
}
