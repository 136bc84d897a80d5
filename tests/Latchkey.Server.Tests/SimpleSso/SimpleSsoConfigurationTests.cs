using System.Net;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.SimpleSso;
using static Latchkey.Server.Tests.SimpleSso.SimpleSsoServerFixture;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary><c>Latchkey:SimpleSso</c> settings reach the endpoints: base path, clock skew, body limit, lifetime.</summary>
public sealed class SimpleSsoConfigurationTests : IAsyncLifetime
{
    private readonly LatchkeyServerFactory _factory = new LatchkeyServerFactory(useFakeTime: true)
        .WithSetting("Latchkey:SimpleSso:BasePath", "/server/")
        .WithSetting("Latchkey:SimpleSso:ClockSkew", "00:00:05")
        .WithSetting("Latchkey:SimpleSso:MaxBodyBytes", "1024")
        .WithSetting("Latchkey:SimpleSso:TokenLifetime", "00:01:00");

    private SsoKeys _keys = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DateTimeOffset Now => _factory.Time!.GetUtcNow();

    private SimpleSsoWire Wire => new(_factory.CreateClient(), "/server/");

    public async ValueTask InitializeAsync()
    {
        var created = await _factory.CreateConsumerAsync("configured", Origin);
        _keys = new SsoKeys(created.PublicKey, created.PrivateKey);
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Endpoints_live_under_the_configured_base_path_only()
    {
        using var moved = await Wire.RequestTokenAsync(_keys, RedirectTo, Now);
        using var old = await new SimpleSsoWire(_factory.CreateClient()).RequestTokenAsync(_keys, RedirectTo, Now);

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
    }

    [Fact]
    public async Task The_login_detour_returns_to_authorize_under_the_base_path()
    {
        var requestToken = await Wire.GetRequestTokenAsync(_keys, RedirectTo, Now);

        using var response = await _factory.CreateBrowser().GetAsync("/server/authorize/?token=" + requestToken, Ct);

        Assert.Equal("/account/login?returnUrl=%2Fserver%2Fauthorize%2F%3Ftoken%3D" + requestToken, response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(6, false)]
    [InlineData(-5, true)]
    [InlineData(-6, false)]
    public async Task The_configured_clock_skew_bounds_timestamps(int offsetSeconds, bool accepted)
    {
        using var response = await Wire.RequestTokenAsync(_keys, RedirectTo, Now.AddSeconds(offsetSeconds));

        Assert.Equal(accepted ? HttpStatusCode.OK : HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_configured_body_limit_applies()
    {
        var body = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("redirect_to", RedirectTo), ("pad", new string('x', 1024))), _keys.PrivateKey, Now);

        using var response = await Wire.PostAsync("request-token/", _keys.PublicKey, body);

        await AssertRefusedAsync(response, SimpleSsoError.PayloadTooLarge);
    }

    [Fact]
    public async Task Tokens_live_for_the_configured_lifetime()
    {
        await _factory.CreateUserAsync("bob", Password);
        var browser = await _factory.SignInAsync("bob", Password);
        var requestToken = await Wire.GetRequestTokenAsync(_keys, RedirectTo, Now);

        _factory.Time!.Advance(TimeSpan.FromMinutes(1));
        using var response = await browser.GetAsync("/server/authorize/?token=" + requestToken, Ct);

        await AssertRefusedAsync(response, SimpleSsoError.TokenTimedOut);
    }
}
