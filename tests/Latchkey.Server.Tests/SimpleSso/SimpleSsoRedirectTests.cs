using Latchkey.Server.SimpleSso;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary>The success Location of authorize, as django-simple-sso builds it (protocol §3.2).</summary>
public sealed class SimpleSsoRedirectTests
{
    private const string Signed = "Ilk0eDFOa005UEpVZXIxT2pmcXVRakVJd2FseU55R2xXV0lXTkFDODBodEtNVHJaczBEVjZJbTdNMDBuaEpxdXYi.awvgZw.MaDc0PNxUZ_2DfcWYhJybPktfqc";

    [Theory]
    // The observed example from the spec.
    [InlineData("http://127.0.0.1:8001/client/authenticate/?next=%2Fprivate%2F", "http://127.0.0.1:8001/client/authenticate/?next=%2Fprivate%2F&access_token=" + Signed)]
    // '/' in a value is re-encoded, as quote_plus does.
    [InlineData("https://a.example/auth/?next=/private/", "https://a.example/auth/?next=%2Fprivate%2F&access_token=" + Signed)]
    [InlineData("https://a.example/auth/", "https://a.example/auth/?access_token=" + Signed)]
    [InlineData("https://a.example", "https://a.example?access_token=" + Signed)]
    // An existing access_token is replaced; the new one goes last.
    [InlineData("https://a.example/auth/?access_token=evil&next=%2F", "https://a.example/auth/?next=%2F&access_token=" + Signed)]
    // Fragment and ;params dropped.
    [InlineData("https://a.example/auth/;p=1?next=%2F#frag", "https://a.example/auth/?next=%2F&access_token=" + Signed)]
    [InlineData("https://a.example/auth/#frag?x", "https://a.example/auth/?access_token=" + Signed)]
    // Blank values kept, empty pairs skipped, '+' is a space, unreserved characters stay.
    [InlineData("https://a.example/auth/?a&b=&&c=x+y%20z&d=~-._", "https://a.example/auth/?a=&b=&c=x+y+z&d=~-._&access_token=" + Signed)]
    // Percent-escapes normalise to upper case; non-ASCII is UTF-8 encoded.
    [InlineData("https://a.example:8443/auth/?n=%c3%a9%2f", "https://a.example:8443/auth/?n=%C3%A9%2F&access_token=" + Signed)]
    public void Location_keeps_other_parameters_and_appends_the_access_token(string redirectTo, string expected)
    {
        Assert.Equal(expected, SimpleSsoRedirect.WithAccessToken(redirectTo, Signed));
    }
}
