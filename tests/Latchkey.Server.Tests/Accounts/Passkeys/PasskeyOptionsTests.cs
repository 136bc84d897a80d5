using System.Net;
using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Hosting;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using static Latchkey.Server.Tests.Accounts.Passkeys.PasskeyTestKit;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary><c>Latchkey:Passkeys</c>: validated at startup, and configured origins/relying-party id are what the server enforces.</summary>
public sealed class PasskeyOptionsTests
{
    public static TheoryData<string?, string[], string> Invalid => new()
    {
        { "https://login.example.org", [], "ServerDomain" },
        { "login.example.org:443", [], "ServerDomain" },
        { "Login.Example.org", [], "ServerDomain" },
        { "login.example.org", ["https://login.example.org/path"], "Origins:0" },
        { "login.example.org", ["login.example.org"], "Origins:0" },
        { "login.example.org", ["http://login.example.org"], "https unless" },
        { "login.example.org", ["https://evil.example"], "is not on" },
        { null, ["https://login.example.org"], "needs Latchkey:Passkeys:ServerDomain" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Bad_settings_are_refused_with_the_key_to_fix(string? serverDomain, string[] origins, string expected)
    {
        var options = new LatchkeyOptions { Passkeys = new LatchkeyPasskeyOptions { ServerDomain = serverDomain, Origins = [.. origins] } };

        var result = new PasskeyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, failure => failure.Contains(expected, StringComparison.Ordinal) && failure.Contains("Latchkey:Passkeys", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, new string[0])]
    [InlineData("login.example.org", new[] { "https://login.example.org", "https://sso.login.example.org:8443" })]
    [InlineData("localhost", new[] { "http://localhost:5000" })]
    public void Good_settings_pass(string? serverDomain, string[] origins)
    {
        var options = new LatchkeyOptions
        {
            Passkeys = new LatchkeyPasskeyOptions { ServerDomain = serverDomain, Origins = [.. origins] },
        };

        Assert.True(new PasskeyOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void A_ceremony_lifetime_out_of_range_is_refused()
    {
        var options = new LatchkeyOptions { Passkeys = new LatchkeyPasskeyOptions { CeremonyLifetime = TimeSpan.FromHours(2) } };

        Assert.True(new PasskeyOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public async Task The_server_refuses_to_start_with_bad_settings()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Passkeys:ServerDomain", "https://nope");

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException
            ?? (error as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault();
        Assert.NotNull(validation);
        Assert.Contains("Latchkey:Passkeys:ServerDomain", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configured_origins_replace_the_request_origin()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting("Latchkey:Passkeys:ServerDomain", "localhost")
            .WithSetting("Latchkey:Passkeys:Origins:0", "https://localhost:8443");
        await factory.CreateUserAsync("alice", "correct horse battery");
        var browser = await factory.SignInAsync("alice", "correct horse battery");
        using var fromRequestOrigin = new SoftwareAuthenticator(origin: "http://localhost");
        using var fromConfiguredOrigin = new SoftwareAuthenticator(origin: "https://localhost:8443");
        var token = await TokenAsync(browser, "/account/passkeys");

        var (refusedCeremony, refusedOptions) = await OptionsAsync(browser, RegistrationOptions, token);
        using var refused = await PostJsonAsync(browser, Registration, token, Answer(refusedCeremony, fromRequestOrigin.Create(refusedOptions), name: "A"));
        var (acceptedCeremony, acceptedOptions) = await OptionsAsync(browser, RegistrationOptions, token);
        using var accepted = await PostJsonAsync(browser, Registration, token, Answer(acceptedCeremony, fromConfiguredOrigin.Create(acceptedOptions), name: "B"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("localhost", acceptedOptions["rp"]!["id"]!.GetValue<string>());
    }
}
