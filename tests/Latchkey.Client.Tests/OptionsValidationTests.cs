using Latchkey.Client.AspNetCore;
using Latchkey.Client.Tests.Infrastructure;

namespace Latchkey.Client.Tests;

public sealed class OptionsValidationTests
{
    public static TheoryData<string, string> BadServerUrls => new()
    {
        { "http://127.0.0.1:5000/sso", "ServerUrl must end with '/'" },
        { "http://127.0.0.1:5000/sso/?x=1", "ServerUrl must end with '/'" },
        { "/sso/", "ServerUrl must be an absolute http(s) URL." },
        { "ftp://127.0.0.1/sso/", "ServerUrl must be an absolute http(s) URL." },
        { "", "ServerUrl must be an absolute http(s) URL." },
    };

    [Theory]
    [MemberData(nameof(BadServerUrls))]
    public async Task Bad_server_url_stops_the_host_at_startup(string serverUrl, string message)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SsoHarness.StartClientAsync(TimeProvider.System, o =>
        {
            o.ServerUrl = serverUrl;
            o.PublicKey = "p";
            o.PrivateKey = "k";
        }));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task Every_problem_is_listed_at_once()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SsoHarness.StartClientAsync(TimeProvider.System, o =>
        {
            o.ServerUrl = "http://127.0.0.1:5000/sso/";
            o.LoginPath = o.CallbackPath;
            o.MaxTokenAge = TimeSpan.Zero;
        }));

        Assert.Contains("PublicKey is required.", error.Message);
        Assert.Contains("PrivateKey is required.", error.Message);
        Assert.Contains("LoginPath and CallbackPath must differ.", error.Message);
        Assert.Contains("MaxTokenAge must be positive.", error.Message);
    }

    [Fact]
    public void Defaults_plus_server_and_keys_are_valid()
    {
        var options = new SimpleSsoOptions { ServerUrl = "https://sso.example/sso/", PublicKey = "p", PrivateKey = "k" };

        Assert.Empty(options.Problems());
        Assert.Equal("/sso/login/", options.LoginPath.Value);
        Assert.Equal("/sso/authenticate/", options.CallbackPath.Value);
        Assert.Equal(TimeSpan.FromMinutes(5), options.MaxTokenAge);
        Assert.Equal(Latchkey.SimpleSso.TimestampEpoch.Unix, options.TimestampEpoch);
    }
}
