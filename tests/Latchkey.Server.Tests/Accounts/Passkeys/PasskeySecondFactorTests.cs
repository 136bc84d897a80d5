using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using static Latchkey.Server.Tests.Accounts.Passkeys.PasskeyTestKit;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary>A passkey after the password (second factor) and for stepping up a password-only session.</summary>
public sealed class PasskeySecondFactorTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly LatchkeyServerFactory _factory = new();
    private readonly SoftwareAuthenticator _authenticator = new();
    private LatchkeyUser _alice = null!;
    private HttpClient _enrolled = null!;

    public async ValueTask InitializeAsync()
    {
        _alice = await _factory.CreateUserAsync("alice", Password);
        _enrolled = await _factory.SignInAsync("alice", Password);
        await RegisterAsync(_enrolled, _authenticator, "Security key");
    }

    public async ValueTask DisposeAsync()
    {
        _authenticator.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task After_the_password_a_passkey_completes_the_sign_in_with_pwd_hwk_mfa()
    {
        var browser = _factory.CreateBrowser();
        var verifyUrl = await PasswordStepAsync(browser);
        var verifyPage = await HtmlForms.ParseAsync(await browser.GetAsync(verifyUrl));
        Assert.NotNull(verifyPage.QuerySelector("#passkey-second-factor"));
        var token = await TokenAsync(browser, verifyUrl);
        var (ceremony, options) = await OptionsAsync(browser, SecondFactorOptions, token);
        Assert.Contains(options["allowCredentials"]!.AsArray(), c => c!["id"]!.GetValue<string>() == _authenticator.CredentialIdText);

        // A second factor needs presence, not verification: the password was the knowledge factor.
        using var response = await PostJsonAsync(browser, SecondFactor, token, Answer(ceremony, _authenticator.Get(options, userVerified: false), returnUrl: "/account/passkeys"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/account/passkeys", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["redirect"]!.GetValue<string>());
        var sessions = await SessionsAsync(_factory, _alice.Id);
        Assert.Contains(sessions, s => s.AuthMethods.SequenceEqual(["pwd", "hwk", "mfa"]));
        Assert.Equal(1u, (await StoredAsync(_factory, _authenticator.CredentialId))!.SignCount);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account/passkeys")).StatusCode);
    }

    [Fact]
    public async Task A_forged_second_factor_is_refused_counted_and_signs_nothing_in()
    {
        var browser = _factory.CreateBrowser();
        var verifyUrl = await PasswordStepAsync(browser);
        var token = await TokenAsync(browser, verifyUrl);
        var (ceremony, options) = await OptionsAsync(browser, SecondFactorOptions, token);

        using var response = await PostJsonAsync(browser, SecondFactor, token, Answer(ceremony, _authenticator.Get(options, forgeSignature: true)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_credential", await ErrorCodeAsync(response));
        Assert.Equal(1, (await UserAsync(_factory, _alice.Id)).AccessFailedCount);
        Assert.Equal(0u, (await StoredAsync(_factory, _authenticator.CredentialId))!.SignCount);
        Assert.DoesNotContain(await SessionsAsync(_factory, _alice.Id), s => s.AuthMethods.Contains("hwk"));
    }

    [Fact]
    public async Task Another_users_passkey_is_no_second_factor_for_alice()
    {
        await _factory.CreateUserAsync("bob", Password);
        var bobBrowser = await _factory.SignInAsync("bob", Password);
        using var bobsKey = new SoftwareAuthenticator();
        await RegisterAsync(bobBrowser, bobsKey, "Bob's key");
        var browser = _factory.CreateBrowser();
        var verifyUrl = await PasswordStepAsync(browser);
        var token = await TokenAsync(browser, verifyUrl);
        var (ceremony, options) = await OptionsAsync(browser, SecondFactorOptions, token);

        using var response = await PostJsonAsync(browser, SecondFactor, token, Answer(ceremony, bobsKey.Get(options)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unknown_credential", await ErrorCodeAsync(response));
        Assert.Equal(0u, (await StoredAsync(_factory, bobsKey.CredentialId))!.SignCount);
        Assert.DoesNotContain(await SessionsAsync(_factory, _alice.Id), s => s.AuthMethods.Contains("hwk"));
    }

    [Fact]
    public async Task Without_a_pending_sign_in_or_session_there_is_nothing_to_verify()
    {
        var browser = _factory.CreateBrowser();
        var token = await TokenAsync(browser, "/account/login");

        using var response = await PostJsonAsync(browser, SecondFactorOptions, token, "{}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("no_pending_sign_in", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task A_password_only_session_steps_up_with_a_passkey()
    {
        // The enrolling browser signed in before the passkey existed: its session is password-only.
        Assert.Contains(await SessionsAsync(_factory, _alice.Id), s => s.AuthMethods.SequenceEqual(["pwd"]));
        var token = await TokenAsync(_enrolled, "/account/passkeys");
        var (ceremony, options) = await OptionsAsync(_enrolled, SecondFactorOptions, token);

        using var response = await PostJsonAsync(_enrolled, SecondFactor, token, Answer(ceremony, _authenticator.Get(options)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var session = Assert.Single(await SessionsAsync(_factory, _alice.Id));
        Assert.Equal(["pwd", "hwk", "mfa"], session.AuthMethods);
        Assert.Contains(await AuditAsync(_factory, _alice.Id), e => e.Event == "mfa.step_up.succeeded");
    }

    /// <summary>Submits the password; with a passkey enrolled the login page sends the browser to the second-factor page.</summary>
    private static async Task<string> PasswordStepAsync(HttpClient browser)
    {
        using var login = await LoginForm.SubmitAsync(browser, "alice", Password, "/account/passkeys");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var location = login.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/mfa/verify", location, StringComparison.Ordinal);
        return location;
    }
}
