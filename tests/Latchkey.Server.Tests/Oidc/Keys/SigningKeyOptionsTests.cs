using Latchkey.Server.Oidc.Keys;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Oidc.Keys;

/// <summary>Bad key-rotation settings are refused; the server does not start with them.</summary>
public sealed class SigningKeyOptionsTests
{
    [Theory]
    [InlineData("-00:01:00", "90.00:00:00", "00:00:30", "Latchkey:Oidc:KeyPublishLead must not be negative.")]
    [InlineData("01:00:00", "00:30:00", "00:00:30", "Latchkey:Oidc:KeyRotationInterval must be longer than KeyPublishLead.")]
    [InlineData("01:00:00", "-1.00:00:00", "00:00:30", "Latchkey:Oidc:KeyRotationInterval must not be negative")]
    [InlineData("01:00:00", "90.00:00:00", "00:00:00", "Latchkey:Oidc:KeyRefreshInterval must be between")]
    [InlineData("01:00:00", "90.00:00:00", "02:00:00", "Latchkey:Oidc:KeyRefreshInterval must be between")]
    public void Validator_refuses(string lead, string interval, string refresh, string expected)
    {
        var options = new SigningKeyOptions
        {
            KeyPublishLead = TimeSpan.Parse(lead, System.Globalization.CultureInfo.InvariantCulture),
            KeyRotationInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture),
            KeyRefreshInterval = TimeSpan.Parse(refresh, System.Globalization.CultureInfo.InvariantCulture),
        };

        var result = new SigningKeyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_and_zero_interval_are_valid()
    {
        Assert.True(new SigningKeyOptionsValidator().Validate(null, new SigningKeyOptions()).Succeeded);
        Assert.True(new SigningKeyOptionsValidator().Validate(null, new SigningKeyOptions { KeyRotationInterval = TimeSpan.Zero }).Succeeded);
    }

    [Fact]
    public async Task Serve_refuses_a_bad_setting_with_exit_code_1()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "latchkey-tests", Guid.NewGuid().ToString("N"));

        var exitCode = await Latchkey.Server.Hosting.LatchkeyServer.ServeAsync(
        [
            $"--Latchkey:DataDirectory={dataDirectory}",
            "--Latchkey:Oidc:KeyPublishLead=-01:00:00",
            "--urls=http://127.0.0.1:0",
        ]);

        Assert.Equal(1, exitCode);
    }

    [Fact]
    public async Task Zero_rotation_interval_starts_and_serves_jwks()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting("Latchkey:Oidc:RequireHttps", "false")
            .WithSetting("Latchkey:Oidc:KeyRotationInterval", "00:00:00");

        using var http = factory.CreateClient();
        using var response = await http.GetAsync("/.well-known/jwks");
        Assert.True(response.IsSuccessStatusCode);
    }
}
