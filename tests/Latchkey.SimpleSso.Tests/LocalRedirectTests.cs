using Latchkey.SimpleSso;

namespace Latchkey.SimpleSso.Tests;

public sealed class LocalRedirectTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/private/")]
    [InlineData("/private/page?x=1&y=%2F#frag")]
    [InlineData("/a/b/c")]
    public void Same_origin_paths_are_kept(string next)
    {
        Assert.Equal(next, LocalRedirect.Sanitize(next));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("//evil.example/")]
    [InlineData("///evil.example/")]
    [InlineData("////evil.example/")]
    [InlineData("https:evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("http://evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("\\\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("%2F%2Fevil.example")]
    [InlineData("/%2F/evil.example")]
    [InlineData("/%5Cevil.example")]
    [InlineData("/%09/evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("evil.example")]
    [InlineData(" /private")]
    public void Anything_a_browser_could_resolve_elsewhere_lands_on_root(string? next)
    {
        Assert.Equal("/", LocalRedirect.Sanitize(next));
    }
}
