using System.Net;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Pages.Account.Mfa;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Mfa;

/// <summary>Sign-in with a second factor through the real login and second-factor pages.</summary>
public sealed class MfaSignInTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string ReturnUrl = "/account/mfa";
    private readonly LatchkeyServerFactory _factory = new(useFakeTime: true);
    private LatchkeyUser _alice = null!;
    private byte[] _secret = null!;

    public async ValueTask InitializeAsync()
    {
        _alice = await _factory.CreateUserAsync("alice", Password);
        _secret = await MfaTestKit.EnrolTotpAsync(_factory, _alice.Id);
        _factory.Time!.Advance(TimeSpan.FromSeconds(30));
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task The_password_alone_leads_to_the_second_factor_page_without_a_session()
    {
        var browser = _factory.CreateBrowser();

        using var login = await LoginForm.SubmitAsync(browser, "alice", Password, ReturnUrl);

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/account/mfa/verify?returnUrl=%2Faccount%2Fmfa", login.Headers.Location?.OriginalString);
        Assert.False(await MfaTestKit.IsSignedInAsync(browser));
        var pending = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(PendingSignIns.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", pending, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/account", pending, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("latchkey.session", string.Join('\n', login.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_current_totp_code_completes_the_sign_in_with_a_multi_factor_session()
    {
        var browser = _factory.CreateBrowser();
        using var login = await LoginForm.SubmitAsync(browser, "alice", Password, ReturnUrl);

        using var verify = await MfaTestKit.SubmitAsync(browser, login.Headers.Location!.OriginalString, "totp-form",
            new Dictionary<string, string?> { ["code"] = MfaTestKit.CurrentCode(_factory, _secret) });

        Assert.Equal(HttpStatusCode.Redirect, verify.StatusCode);
        Assert.Equal(ReturnUrl, verify.Headers.Location?.OriginalString);
        Assert.True(await MfaTestKit.IsSignedInAsync(browser));
        var session = await _factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<SsoSession>().AsNoTracking().SingleAsync(x => x.UserId == _alice.Id));
        Assert.Equal(["pwd", "otp", "mfa"], session.AuthMethods);
        var audit = await MfaTestKit.AuditOfAsync(_factory, _alice.Id);
        Assert.Contains(audit, e => e.Event == MfaAuditEvents.TotpVerified);
        Assert.Contains(audit, e => e.Event == MfaAuditEvents.SignInSucceeded);
    }

    [Fact]
    public async Task A_wrong_code_is_refused_clearly_counts_as_a_failure_and_changes_nothing_else()
    {
        var browser = _factory.CreateBrowser();
        using var login = await LoginForm.SubmitAsync(browser, "alice", Password, ReturnUrl);
        var verifyUrl = login.Headers.Location!.OriginalString;
        var right = MfaTestKit.CurrentCode(_factory, _secret);
        var wrong = right == "000000" ? "111111" : "000000";
        var stepBefore = await LastStepAsync();

        using var refused = await MfaTestKit.SubmitAsync(browser, verifyUrl, "totp-form", new Dictionary<string, string?> { ["code"] = wrong });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var page = await HtmlForms.ParseAsync(refused);
        Assert.Equal(VerifyModel.WrongCodeMessage, page.QuerySelector("#mfa-error")?.TextContent.Trim());
        Assert.False(await MfaTestKit.IsSignedInAsync(browser));
        Assert.Equal(stepBefore, await LastStepAsync());
        Assert.Equal(1, (await MfaTestKit.ReloadUserAsync(_factory, _alice.Id)).AccessFailedCount);
        var failure = Assert.Single(await MfaTestKit.AuditOfAsync(_factory, _alice.Id), e => e.Event == MfaAuditEvents.SignInFailed);
        Assert.Contains("wrong_code", failure.Details);
        Assert.DoesNotContain(wrong, failure.Details ?? "", StringComparison.Ordinal);

        // The pending sign-in survives a typo.
        using var accepted = await MfaTestKit.SubmitAsync(browser, verifyUrl, "totp-form", new Dictionary<string, string?> { ["code"] = right });
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Equal(0, (await MfaTestKit.ReloadUserAsync(_factory, _alice.Id)).AccessFailedCount);
    }

    [Fact]
    public async Task Wrong_codes_lock_the_account_and_the_password_does_not_reset_the_count()
    {
        var browser = _factory.CreateBrowser();
        var right = MfaTestKit.CurrentCode(_factory, _secret);
        var wrong = right == "000000" ? "111111" : "000000";

        // Re-entering the right password between guesses must not wipe the failures (TwoFactorEnabled is set).
        for (var i = 0; i < 5; i++)
        {
            using var login = await LoginForm.SubmitAsync(browser, "alice", Password, ReturnUrl);
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            using var refused = await MfaTestKit.SubmitAsync(browser, login.Headers.Location!.OriginalString, "totp-form", new Dictionary<string, string?> { ["code"] = wrong });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        var user = await MfaTestKit.ReloadUserAsync(_factory, _alice.Id);
        Assert.True(user.LockoutEnd > _factory.Time!.GetUtcNow());
        using var lockedLogin = await LoginForm.SubmitAsync(browser, "alice", Password, ReturnUrl);
        Assert.Equal(HttpStatusCode.OK, lockedLogin.StatusCode);
        Assert.False(await MfaTestKit.IsSignedInAsync(browser));
    }

    [Fact]
    public async Task A_code_already_used_is_refused_on_the_next_sign_in()
    {
        var code = MfaTestKit.CurrentCode(_factory, _secret);
        var first = _factory.CreateBrowser();
        using var login1 = await LoginForm.SubmitAsync(first, "alice", Password, ReturnUrl);
        using var ok = await MfaTestKit.SubmitAsync(first, login1.Headers.Location!.OriginalString, "totp-form", new Dictionary<string, string?> { ["code"] = code });
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);

        var second = _factory.CreateBrowser();
        using var login2 = await LoginForm.SubmitAsync(second, "alice", Password, ReturnUrl);
        using var replay = await MfaTestKit.SubmitAsync(second, login2.Headers.Location!.OriginalString, "totp-form", new Dictionary<string, string?> { ["code"] = code });

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(VerifyModel.ReplayedCodeMessage, (await HtmlForms.ParseAsync(replay)).QuerySelector("#mfa-error")?.TextContent.Trim());
        Assert.False(await MfaTestKit.IsSignedInAsync(second));
    }

    [Fact]
    public async Task A_recovery_code_signs_in_once_and_the_page_says_how_many_remain()
    {
        var codes = await MfaTestKit.NewRecoveryCodesAsync(_factory, _alice.Id);
        var browser = _factory.CreateBrowser();
        using var login = await LoginForm.SubmitAsync(browser, "alice", Password, ReturnUrl);

        using var used = await MfaTestKit.SubmitAsync(browser, login.Headers.Location!.OriginalString, "recovery-form", new Dictionary<string, string?> { ["recoveryCode"] = codes[2] });

        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        var page = await HtmlForms.ParseAsync(used);
        Assert.Contains("9", page.QuerySelector("#recovery-remaining")?.TextContent);
        Assert.Equal(ReturnUrl, page.QuerySelector("a#continue")?.GetAttribute("href"));
        Assert.True(await MfaTestKit.IsSignedInAsync(browser));
        var record = Assert.Single(await MfaTestKit.AuditOfAsync(_factory, _alice.Id), e => e.Event == MfaAuditEvents.RecoveryCodeUsed);
        Assert.Contains("\"remaining\":\"9\"", record.Details, StringComparison.Ordinal);
        Assert.Equal("9", (await MfaTestKit.GetPageAsync(browser, "/account/mfa")).QuerySelector("#recovery-count")?.TextContent);

        var other = _factory.CreateBrowser();
        using var login2 = await LoginForm.SubmitAsync(other, "alice", Password, ReturnUrl);
        using var reused = await MfaTestKit.SubmitAsync(other, login2.Headers.Location!.OriginalString, "recovery-form", new Dictionary<string, string?> { ["recoveryCode"] = codes[2] });
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.False(await MfaTestKit.IsSignedInAsync(other));
    }

    [Fact]
    public async Task The_pending_sign_in_expires()
    {
        var browser = _factory.CreateBrowser();
        using var login = await LoginForm.SubmitAsync(browser, "alice", Password, ReturnUrl);
        var verifyUrl = login.Headers.Location!.OriginalString;
        _factory.Time!.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        using var page = await browser.GetAsync(verifyUrl);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login?returnUrl=", page.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_forged_or_foreign_pending_cookie_is_no_sign_in()
    {
        var browser = _factory.CreateBrowser();
        browser.DefaultRequestHeaders.Add("Cookie", PendingSignIns.CookieName + "=CfDJ8forged");

        using var page = await browser.GetAsync("/account/mfa/verify");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login", page.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_user_without_factors_signs_in_with_the_password_only()
    {
        await _factory.CreateUserAsync("bob", Password);
        using var login = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "bob", Password, ReturnUrl);

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(ReturnUrl, login.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Sign_in_outcomes_are_audited_with_reasons_and_never_the_password()
    {
        await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", "wrong password!");
        await LoginForm.SubmitAsync(_factory.CreateBrowser(), "nobody", Password);

        var failures = await _factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<Latchkey.Server.Audit.AuditEntry>()
            .AsNoTracking().Where(e => e.Event == MfaAuditEvents.SignInFailed).OrderBy(e => e.Sequence).ToListAsync());

        Assert.Equal(2, failures.Count);
        Assert.Contains("wrong_password", failures[0].Details);
        Assert.Equal(_alice.Id, failures[0].SubjectId);
        Assert.Contains("unknown_user", failures[1].Details);
        Assert.Null(failures[1].SubjectName);
        Assert.All(failures, f => Assert.DoesNotContain("wrong password!", f.Details ?? "", StringComparison.Ordinal));
    }

    private Task<long> LastStepAsync() =>
        _factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<TotpAuthenticator>().AsNoTracking()
            .Where(t => t.UserId == _alice.Id).Select(t => t.LastUsedTimeStep).SingleAsync());
}
