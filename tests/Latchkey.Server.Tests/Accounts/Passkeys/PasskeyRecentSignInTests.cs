using System.Net;
using Latchkey.Server.Tests.Infrastructure;
using static Latchkey.Server.Tests.Accounts.Passkeys.PasskeyTestKit;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary>A passkey outlives the session, so adding one needs a recent sign-in (Latchkey:Passkeys:RegistrationMaxAuthenticationAge).</summary>
public sealed class PasskeyRecentSignInTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly LatchkeyServerFactory _factory = new(useFakeTime: true);

    public async ValueTask InitializeAsync() => await _factory.CreateUserAsync("alice", Password);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task An_old_sign_in_cannot_add_a_passkey_until_the_user_signs_in_again()
    {
        var browser = await _factory.SignInAsync("alice", Password);
        var token = await TokenAsync(browser, "/account/passkeys");
        var (ceremony, options) = await OptionsAsync(browser, RegistrationOptions, token);
        using var authenticator = new SoftwareAuthenticator();
        _factory.Time!.Advance(TimeSpan.FromMinutes(16));

        using var lateAnswer = await PostJsonAsync(browser, Registration, token, Answer(ceremony, authenticator.Create(options), name: "Late"));
        using var lateOptions = await PostJsonAsync(browser, RegistrationOptions, token, "{}");

        Assert.Equal(HttpStatusCode.Forbidden, lateAnswer.StatusCode);
        Assert.Equal("reauthentication_required", await ErrorCodeAsync(lateAnswer));
        Assert.Equal(HttpStatusCode.Forbidden, lateOptions.StatusCode);
        Assert.Null(await StoredAsync(_factory, authenticator.CredentialId));

        // Signing in again in the same browser renews the session's authentication time.
        using (var again = await LoginForm.SubmitAsync(browser, "alice", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        }

        await RegisterAsync(browser, authenticator, "Fresh");
        Assert.Equal("Fresh", (await StoredAsync(_factory, authenticator.CredentialId))!.Name);
    }
}
