using System.Net;
using Latchkey.Server.Audit;
using Latchkey.Server.Pages.Account;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.AccountSecurity.AccountPagesTestKit;

namespace Latchkey.Server.Tests.AccountSecurity;

/// <summary>Forgot password → mail over real SMTP → one-time, expiring reset link.</summary>
public sealed class PasswordResetTests
{
    private const string OldPassword = "old but gold password";
    private const string NewPassword = "a brand new pass phrase";

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Reset_by_mailed_link_changes_the_password_ends_sessions_and_the_link_works_once(LatchkeyTestStorage storage)
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = LatchkeyServerFactory.For(storage).WithSmtpSink(sink);
        var kate = await factory.CreateUserAsync("kate", OldPassword, email: "kate@example.com");
        var oldSession = await factory.SignInAsync("kate", OldPassword);
        var stampBefore = (await factory.FindUserAsync("kate"))!.SecurityStamp;

        var (sent, sentPage) = await SubmitAsync(factory.CreateBrowser(), "/account/forgot-password", new() { ["email"] = "KATE@example.com" });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Equal(ForgotPasswordModel.SentMessage, Text(sentPage, "#forgot-sent"));

        var mail = await sink.WaitForMailAsync("kate@example.com", MailTimeout);
        Assert.Equal("Reset your Latchkey password", mail.Subject);
        var link = LinkPath(mail, "/account/reset-password");

        var browser = factory.CreateBrowser();
        var (done, donePage) = await SubmitAsync(browser, link, new() { ["newPassword"] = NewPassword, ["confirmPassword"] = NewPassword });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.NotNull(donePage.QuerySelector("#reset-done"));

        var after = (await factory.FindUserAsync("kate"))!;
        Assert.NotEqual(stampBefore, after.SecurityStamp);
        using var oldLogin = await LoginForm.SubmitAsync(factory.CreateBrowser(), "kate", OldPassword);
        Assert.Equal(HttpStatusCode.OK, oldLogin.StatusCode);
        using var newLogin = await LoginForm.SubmitAsync(factory.CreateBrowser(), "kate", NewPassword);
        Assert.Equal(HttpStatusCode.Redirect, newLogin.StatusCode);

        // The session that existed before the reset is over.
        using var oldSessionPage = await oldSession.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, oldSessionPage.StatusCode);
        Assert.Contains("/account/login", oldSessionPage.Headers.Location!.OriginalString);

        // Reused link: a clear error, nothing changes.
        var (reused, reusedPage) = await GetAsync(factory.CreateBrowser(), link);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.StartsWith("This password-reset link has already been used", Text(reusedPage, "#reset-error"));
        var events = await factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>()
            .Where(e => e.SubjectId == kate.Id).Select(e => e.Event).ToListAsync());
        Assert.Contains("password.reset", events);
        Assert.DoesNotContain(link.Split("token=")[1], string.Join("|", await factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>()
            .Set<AuditEntry>().Select(e => e.Details ?? "").ToListAsync())));
    }

    [Fact]
    public async Task Unknown_accounts_get_the_same_answer_and_no_mail()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory().WithSmtpSink(sink);
        await factory.CreateUserAsync("kate", OldPassword, email: "kate@example.com");

        var (unknown, unknownPage) = await SubmitAsync(factory.CreateBrowser(), "/account/forgot-password", new() { ["email"] = "nobody@example.com" });
        var (known, knownPage) = await SubmitAsync(factory.CreateBrowser(), "/account/forgot-password", new() { ["email"] = "kate" });

        Assert.Equal(known.StatusCode, unknown.StatusCode);
        Assert.Equal(Text(knownPage, "main"), Text(unknownPage, "main"));
        await sink.WaitForMailAsync("kate@example.com", MailTimeout);
        // Mails leave in order, so anything for the unknown address would be here by now.
        Assert.Empty(sink.MessagesTo("nobody@example.com"));
        Assert.Single(sink.Messages);
    }

    [Fact]
    public async Task An_expired_link_is_refused_with_a_clear_message_and_changes_nothing()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSmtpSink(sink);
        await factory.CreateUserAsync("kate", OldPassword, email: "kate@example.com");
        await SubmitAsync(factory.CreateBrowser(), "/account/forgot-password", new() { ["email"] = "kate@example.com" });
        var link = LinkPath(await sink.WaitForMailAsync("kate@example.com", MailTimeout), "/account/reset-password");

        // The form was opened in time, but submitted after the link expired.
        var browser = factory.CreateBrowser();
        var pageUri = new Uri(browser.BaseAddress!, link);
        using var form = await browser.GetAsync(pageUri);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        factory.Time!.Advance(TimeSpan.FromMinutes(30));
        using var late = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(form), pageUri,
            new Dictionary<string, string?> { ["newPassword"] = NewPassword, ["confirmPassword"] = NewPassword });

        Assert.Equal(HttpStatusCode.BadRequest, late.StatusCode);
        Assert.Equal(ResetPasswordModel.MessageFor(Latchkey.Server.Accounts.Recovery.AccountLinkStatus.Expired),
            Text(await HtmlForms.ParseAsync(late), "#reset-error"));
        using var oldLogin = await LoginForm.SubmitAsync(factory.CreateBrowser(), "kate", OldPassword);
        Assert.Equal(HttpStatusCode.Redirect, oldLogin.StatusCode);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    public async Task A_forged_or_missing_token_is_refused(string token)
    {
        await using var factory = new LatchkeyServerFactory();

        var (response, page) = await GetAsync(factory.CreateBrowser(), "/account/reset-password?token=" + token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("This password-reset link is not valid", Text(page, "#reset-error"));
    }

    [Theory]
    [InlineData("password1", "too common")]
    [InlineData("short", "at least 8 characters")]
    public async Task A_refused_new_password_keeps_the_old_one_and_the_link(string refused, string reason)
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory().WithSmtpSink(sink);
        await factory.CreateUserAsync("kate", OldPassword, email: "kate@example.com");
        await SubmitAsync(factory.CreateBrowser(), "/account/forgot-password", new() { ["email"] = "kate@example.com" });
        var link = LinkPath(await sink.WaitForMailAsync("kate@example.com", MailTimeout), "/account/reset-password");
        var hashBefore = (await factory.FindUserAsync("kate"))!.PasswordHash;

        var (response, page) = await SubmitAsync(factory.CreateBrowser(), link, new() { ["newPassword"] = refused, ["confirmPassword"] = refused });
        var (tooLong, tooLongPage) = await SubmitAsync(factory.CreateBrowser(), link,
            new() { ["newPassword"] = new string('p', 257), ["confirmPassword"] = new string('p', 257) });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(reason, Text(page, "#reset-errors"));
        Assert.Contains("at most 256 characters", Text(tooLongPage, "#reset-errors"));
        Assert.Equal(hashBefore, (await factory.FindUserAsync("kate"))!.PasswordHash);
        var (stillValid, _) = await GetAsync(factory.CreateBrowser(), link);
        Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);
    }

    [Fact]
    public async Task Without_a_mail_relay_the_page_says_so()
    {
        await using var factory = new LatchkeyServerFactory();

        var (response, page) = await GetAsync(factory.CreateBrowser(), "/account/forgot-password");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(ForgotPasswordModel.UnavailableMessage, Text(page, "#forgot-error"));
    }

    [Fact]
    public async Task Forgot_password_is_rate_limited_per_account()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory().WithSmtpSink(sink)
            .WithSetting("Latchkey:RateLimits:PasswordReset:PerAccount:PermitLimit", "1");
        await factory.CreateUserAsync("kate", OldPassword, email: "kate@example.com");

        var (first, _) = await SubmitAsync(factory.CreateBrowser(), "/account/forgot-password", new() { ["email"] = "kate@example.com" });
        var (second, secondPage) = await SubmitAsync(factory.CreateBrowser(), "/account/forgot-password", new() { ["email"] = "kate@example.com" });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.Contains("Retry-After"));
        Assert.StartsWith("Too many password-reset", Text(secondPage, "#rate-limit-message"));
        await sink.WaitForMailAsync("kate@example.com", MailTimeout);
        Assert.Single(sink.MessagesTo("kate@example.com"));
    }
}
