using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.Accounts.Passkeys.PasskeyTestKit;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary>Passwordless sign-in through the real endpoints: success, and every kind of bad answer refused with no state change.</summary>
public sealed class PasskeySignInTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly LatchkeyServerFactory _factory = new(useFakeTime: true);
    private readonly SoftwareAuthenticator _authenticator = new();
    private LatchkeyUser _alice = null!;

    public async ValueTask InitializeAsync()
    {
        _alice = await _factory.CreateUserAsync("alice", Password);
        var browser = await _factory.SignInAsync("alice", Password);
        await RegisterAsync(browser, _authenticator, "Laptop");
    }

    public async ValueTask DisposeAsync()
    {
        _authenticator.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task A_user_verifying_passkey_signs_in_without_a_password_as_two_factors()
    {
        var browser = _factory.CreateBrowser();
        var token = await TokenAsync(browser, "/account/login");
        var (ceremony, options) = await OptionsAsync(browser, SignInOptions, token);

        Assert.Equal("required", options["userVerification"]?.GetValue<string>());
        Assert.Empty(options["allowCredentials"]?.AsArray() ?? []);
        using var response = await PostJsonAsync(browser, SignIn, token, Answer(ceremony, _authenticator.Get(options), returnUrl: "/account/passkeys"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/account/passkeys", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["redirect"]!.GetValue<string>());
        var session = Assert.Single(await SessionsAsync(_factory, _alice.Id), s => s.AuthMethods.Contains("hwk"));
        Assert.Equal(["hwk", "user", "mfa"], session.AuthMethods);
        using var page = await browser.GetAsync("/account/passkeys");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var stored = await StoredAsync(_factory, _authenticator.CredentialId);
        Assert.Equal(1u, stored!.SignCount);
        Assert.Equal(_factory.Time!.GetUtcNow(), stored.LastUsedAt);
        var audit = await AuditAsync(_factory, _alice.Id);
        Assert.Contains(audit, e => e.Event == "signin.succeeded" && e.Details!.Contains("\"method\":\"passkey\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_open_redirect_in_the_return_url_lands_on_home()
    {
        var browser = _factory.CreateBrowser();
        var token = await TokenAsync(browser, "/account/login");
        var (ceremony, options) = await OptionsAsync(browser, SignInOptions, token);

        using var response = await PostJsonAsync(browser, SignIn, token, Answer(ceremony, _authenticator.Get(options), returnUrl: "//evil.example/"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["redirect"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_replayed_answer_is_refused_and_changes_nothing()
    {
        var browser = _factory.CreateBrowser();
        var token = await TokenAsync(browser, "/account/login");
        var (ceremony, options) = await OptionsAsync(browser, SignInOptions, token);
        var answer = Answer(ceremony, _authenticator.Get(options));
        using (var first = await PostJsonAsync(browser, SignIn, token, answer))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var before = await StoredAsync(_factory, _authenticator.CredentialId);
        _factory.Time!.Advance(TimeSpan.FromSeconds(5));
        using var replay = await PostJsonAsync(_factory.CreateBrowser(), SignIn, null, answer);
        using var sameBrowserReplay = await PostJsonAsync(browser, SignIn, await TokenAsync(browser, "/account/passkeys"), answer);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, sameBrowserReplay.StatusCode);
        Assert.Equal("unknown_ceremony", await ErrorCodeAsync(sameBrowserReplay));
        Assert.Equal(before, await StoredAsync(_factory, _authenticator.CredentialId));
    }

    [Fact]
    public async Task A_forged_signature_is_refused_counts_toward_lockout_and_changes_nothing_else()
    {
        var response = await AnswerAsync(options => _authenticator.Get(options, forgeSignature: true));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("invalid_credential", response.Error);
        await AssertUntouchedAsync(expectedFailures: 1);
        var audit = await AuditAsync(_factory, _alice.Id);
        Assert.Contains(audit, e => e.Event == "signin.failed" && e.Details!.Contains("invalid_credential", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_answer_from_another_origin_is_refused()
    {
        _authenticator.Origin = "https://evil.example";

        var response = await AnswerAsync(options => _authenticator.Get(options));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("invalid_credential", response.Error);
        await AssertUntouchedAsync(expectedFailures: 1);
    }

    [Fact]
    public async Task An_answer_for_another_relying_party_is_refused()
    {
        _authenticator.RpId = "evil.example";

        var response = await AnswerAsync(options => _authenticator.Get(options));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        await AssertUntouchedAsync(expectedFailures: 1);
    }

    [Fact]
    public async Task An_answer_to_another_challenge_is_refused()
    {
        var response = await AnswerAsync(options => _authenticator.Get(options, challengeOverride: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        await AssertUntouchedAsync(expectedFailures: 1);
    }

    [Fact]
    public async Task An_unknown_passkey_is_refused_with_a_clear_reason()
    {
        using var stranger = new SoftwareAuthenticator();
        stranger.PretendRegisteredFor(_alice.Id);

        var response = await AnswerAsync(options => stranger.Get(options));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("unknown_credential", response.Error);
        await AssertUntouchedAsync(expectedFailures: 0);
    }

    [Fact]
    public async Task A_passkey_that_did_not_verify_the_user_cannot_sign_in_alone()
    {
        var response = await AnswerAsync(options => _authenticator.Get(options, userVerified: false));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("user_verification_required", response.Error);
        await AssertUntouchedAsync(expectedFailures: 0);
    }

    [Fact]
    public async Task An_expired_challenge_is_refused()
    {
        var response = await AnswerAsync(options =>
        {
            _factory.Time!.Advance(TimeSpan.FromMinutes(6));
            return _authenticator.Get(options);
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("expired_ceremony", response.Error);
        await AssertUntouchedAsync(expectedFailures: 0);
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_with_a_passkey()
    {
        await SetAsync(u => u.IsActive = false);

        var response = await AnswerAsync(options => _authenticator.Get(options));

        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
        Assert.Equal("not_allowed", response.Error);
        await AssertUntouchedAsync(expectedFailures: 0);
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_and_then_even_a_good_passkey_is_refused()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await AnswerAsync(options => _authenticator.Get(options, forgeSignature: true))).Status);
        }

        var response = await AnswerAsync(options => _authenticator.Get(options));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.Status);
        Assert.Equal("locked_out", response.Error);
        Assert.DoesNotContain(await SessionsAsync(_factory, _alice.Id), s => s.AuthMethods.Contains("hwk"));
        Assert.Equal(0u, (await StoredAsync(_factory, _authenticator.CredentialId))!.SignCount);
    }

    [Fact]
    public async Task A_ceremony_begun_for_something_else_cannot_sign_in()
    {
        // A second-factor ceremony (password step done, passkey owed) posted to passwordless sign-in.
        var halfway = _factory.CreateBrowser();
        using var login = await LoginForm.SubmitAsync(halfway, "alice", Password);
        var verifyToken = await TokenAsync(halfway, login.Headers.Location!.OriginalString);
        var (ceremony, _) = await OptionsAsync(halfway, SecondFactorOptions, verifyToken);
        var browser = _factory.CreateBrowser();
        var loginToken = await TokenAsync(browser, "/account/login");
        var (_, options) = await OptionsAsync(browser, SignInOptions, loginToken);

        using var response = await PostJsonAsync(browser, SignIn, loginToken, Answer(ceremony, _authenticator.Get(options)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("wrong_ceremony", await ErrorCodeAsync(response));
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadBodies => new()
    {
        { "application/json", "this is not json", HttpStatusCode.BadRequest, "malformed_request" },
        { "application/json", "[1,2,3]", HttpStatusCode.BadRequest, "malformed_request" },
        { "application/json", "{\"ceremony\":\"not-a-guid\",\"credential\":{}}", HttpStatusCode.BadRequest, "malformed_request" },
        { "application/json", "{\"ceremony\":\"CEREMONY\",\"credential\":\"a string\"}", HttpStatusCode.BadRequest, "malformed_request" },
        { "application/json", "{\"ceremony\":\"CEREMONY\"}", HttpStatusCode.BadRequest, "malformed_request" },
        { "application/json", "{\"ceremony\":\"CEREMONY\",\"credential\":{}}", HttpStatusCode.BadRequest, "unknown_credential" },
        { "application/json", "{\"ceremony\":\"CEREMONY\",\"credential\":{\"id\":\"CREDENTIAL\",\"rawId\":\"CREDENTIAL\",\"type\":\"public-key\",\"response\":{\"clientDataJSON\":\"e30\",\"authenticatorData\":\"AAAA\",\"signature\":\"AAAA\"}}}", HttpStatusCode.BadRequest, "invalid_credential" },
        { "application/json", "{\"ceremony\":\"CEREMONY\",\"credential\":{\"id\":\"CREDENTIAL\",\"rawId\":\"OTHER\",\"type\":\"public-key\"}}", HttpStatusCode.BadRequest, "unknown_credential" },
        { "application/json", "{\"ceremony\":\"CEREMONY\",\"returnUrl\":42,\"credential\":{}}", HttpStatusCode.BadRequest, "malformed_request" },
        { "application/json", "{\"ceremony\":\"" + Guid.Empty + "\",\"credential\":{}}", HttpStatusCode.BadRequest, "unknown_ceremony" },
        { "text/plain", "{}", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type" },
        { "application/json", "{\"pad\":\"" + new string('a', 70_000) + "\"}", HttpStatusCode.RequestEntityTooLarge, "request_too_large" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_gets_a_clear_4xx_and_changes_nothing(string contentType, string body, HttpStatusCode status, string error)
    {
        var browser = _factory.CreateBrowser();
        var token = await TokenAsync(browser, "/account/login");
        var (ceremony, _) = await OptionsAsync(browser, SignInOptions, token);
        body = body.Replace("CEREMONY", ceremony, StringComparison.Ordinal)
            .Replace("CREDENTIAL", _authenticator.CredentialIdText, StringComparison.Ordinal)
            .Replace("OTHER", "AAAA", StringComparison.Ordinal);

        using var response = await PostJsonAsync(browser, SignIn, token, body, contentType);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(error, await ErrorCodeAsync(response));
        await AssertUntouchedAsync(expectedFailures: error == "invalid_credential" ? 1 : 0);
    }

    [Fact]
    public async Task Posts_without_the_antiforgery_token_are_refused()
    {
        var browser = _factory.CreateBrowser();
        var token = await TokenAsync(browser, "/account/login");
        var (ceremony, options) = await OptionsAsync(browser, SignInOptions, token);

        using var noToken = await PostJsonAsync(browser, SignIn, null, Answer(ceremony, _authenticator.Get(options)));
        using var noTokenOptions = await PostJsonAsync(browser, SignInOptions, null, "{}");

        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.Equal("antiforgery", await ErrorCodeAsync(noToken));
        Assert.Equal(HttpStatusCode.BadRequest, noTokenOptions.StatusCode);
        await AssertUntouchedAsync(expectedFailures: 0);
    }

    [Fact]
    public async Task Options_are_not_served_over_get()
    {
        using var response = await _factory.CreateBrowser().GetAsync(SignInOptions);

        Assert.True((int)response.StatusCode is 404 or 405, $"GET answered {(int)response.StatusCode}");
    }

    private async Task<(HttpStatusCode Status, string? Error)> AnswerAsync(Func<JsonNode, JsonNode> answer)
    {
        var browser = _factory.CreateBrowser();
        var token = await TokenAsync(browser, "/account/login");
        var (ceremony, options) = await OptionsAsync(browser, SignInOptions, token);
        using var response = await PostJsonAsync(browser, SignIn, token, Answer(ceremony, answer(options)));
        return (response.StatusCode, await ErrorCodeAsync(response));
    }

    private async Task AssertUntouchedAsync(int expectedFailures)
    {
        var stored = await StoredAsync(_factory, _authenticator.CredentialId);
        Assert.Equal(new StoredPasskey("Laptop", 0, null), stored);
        Assert.DoesNotContain(await SessionsAsync(_factory, _alice.Id), s => s.AuthMethods.Contains("hwk"));
        Assert.Equal(expectedFailures, (await UserAsync(_factory, _alice.Id)).AccessFailedCount);
    }

    private Task SetAsync(Action<LatchkeyUser> change) =>
        _factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            var user = await db.Set<LatchkeyUser>().SingleAsync(u => u.Id == _alice.Id);
            change(user);
            await db.SaveChangesAsync();
        });
}
