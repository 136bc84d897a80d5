using System.Net;
using Latchkey.Client.Tests.Infrastructure;

namespace Latchkey.Client.Tests;

/// <summary>
/// Spec 9, weakness 6: whatever <c>next</c> a link carries, the post-login Location stays on the client's origin.
/// Each case is the raw query-string text after <c>next=</c>, as an attacker would write it in a link.
/// </summary>
public sealed class OpenRedirectTests
{
    public static TheoryData<string, string> Cases => new()
    {
        // Scheme-relative and look-alike forms browsers resolve to another host.
        { "//evil.example/", "/" },
        { "%2F%2Fevil.example", "/" },
        { "///evil.example/", "/" },
        { "/%2F%2Fevil.example", "/" },
        { "https:evil.example", "/" },
        { "https://evil.example/", "/" },
        { "https%3A%2F%2Fevil.example%2F", "/" },
        { "/%5Cevil.example", "/" },
        { "%5C%5Cevil.example", "/" },
        { "/%09/evil.example", "/" },
        { "%09//evil.example", "/" },
        { "javascript:alert(1)", "/" },
        { "evil.example", "/" },

        // One more level of encoding: the value "/%2F%2Fevil" is a path here, but a second decode makes it "///evil", so it is refused.
        { "/%252F%252Fevil.example", "/" },

        // Same-origin paths survive, including query strings and encoded characters.
        { "", "/" },
        { "/ok/path", "/ok/path" },
        { "/search%3Fq%3D1%26r%3D2", "/search?q=1&r=2" },
        { "/a%2520b", "/a%20b" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Post_login_redirect_never_leaves_the_origin(string rawNext, string expected)
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        var browser = harness.NewBrowser();

        var trail = await browser.NavigateAsync(harness.ClientUrl("sso/login/?next=" + rawNext));

        var callback = trail.Single(r => r.Url.AbsolutePath == "/sso/authenticate/");
        Assert.Equal(HttpStatusCode.Redirect, callback.Status);
        Assert.Equal(expected, callback.Location);
        var landed = new Uri(callback.Url, callback.Location);
        Assert.Equal(harness.ClientBase.Authority, landed.Authority);
        Assert.Equal(harness.ClientBase.Scheme, landed.Scheme);
        Assert.Equal(HttpStatusCode.OK, trail[^1].Status);
        Assert.Equal(landed, trail[^1].Url);
    }
}
