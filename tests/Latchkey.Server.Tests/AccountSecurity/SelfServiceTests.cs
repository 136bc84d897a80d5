using System.Net;
using Latchkey.Server.Audit;
using Latchkey.Server.Pages.Account;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.AccountSecurity.AccountPagesTestKit;

namespace Latchkey.Server.Tests.AccountSecurity;

/// <summary>/account, profile, change password and e-mail verification.</summary>
public sealed class SelfServiceTests
{
    private const string Password = "liam's long password";

    [Fact]
    public async Task The_hub_shows_the_account_and_links_every_self_service_page()
    {
        await using var factory = new LatchkeyServerFactory();
        await factory.CreateUserAsync("liam", Password, email: "liam@example.com", firstName: "Liam", lastName: "Neeson");
        var browser = await factory.SignInAsync("liam", Password);

        var (response, page) = await GetAsync(browser, "/account");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("liam", Text(page, "#account-username"));
        Assert.Equal("Liam Neeson", Text(page, "#account-name"));
        Assert.Equal("0", Text(page, "#recovery-codes-left"));
        var links = page.QuerySelectorAll("#account-links a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["/account/profile", "/account/password", "/account/mfa", "/account/passkeys", "/account/sessions", "/account/consents"], links);

        using var anonymous = await factory.CreateBrowser().GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Changing_the_password_needs_the_current_one_and_ends_only_the_other_sessions(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        var liam = await factory.CreateUserAsync("liam", Password);
        var here = await factory.SignInAsync("liam", Password);
        var elsewhere = await factory.SignInAsync("liam", Password);
        var hashBefore = (await factory.FindUserAsync("liam"))!.PasswordHash;

        var (wrong, wrongPage) = await SubmitAsync(here, "/account/password",
            new() { ["currentPassword"] = "not my password", ["newPassword"] = "fresh pass phrase", ["confirmPassword"] = "fresh pass phrase" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(PasswordModel.WrongCurrentPasswordMessage, Text(wrongPage, "#password-errors"));
        Assert.Equal(1, (await factory.FindUserAsync("liam"))!.AccessFailedCount);

        var (breached, breachedPage) = await SubmitAsync(here, "/account/password",
            new() { ["currentPassword"] = Password, ["newPassword"] = "iloveyou", ["confirmPassword"] = "iloveyou" });
        Assert.Equal(HttpStatusCode.BadRequest, breached.StatusCode);
        Assert.Contains("too common", Text(breachedPage, "#password-errors"));

        var (mismatch, _) = await SubmitAsync(here, "/account/password",
            new() { ["currentPassword"] = Password, ["newPassword"] = "fresh pass phrase", ["confirmPassword"] = "fresh pass phrase!" });
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Equal(hashBefore, (await factory.FindUserAsync("liam"))!.PasswordHash);

        var (changed, changedPage) = await SubmitAsync(here, "/account/password",
            new() { ["currentPassword"] = Password, ["newPassword"] = "fresh pass phrase", ["confirmPassword"] = "fresh pass phrase" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotNull(changedPage.QuerySelector("#password-changed"));

        using var stillHere = await here.GetAsync("/account");
        Assert.Equal(HttpStatusCode.OK, stillHere.StatusCode);
        using var goneElsewhere = await elsewhere.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, goneElsewhere.StatusCode);
        using var withNew = await LoginForm.SubmitAsync(factory.CreateBrowser(), "liam", "fresh pass phrase");
        Assert.Equal(HttpStatusCode.Redirect, withNew.StatusCode);

        var events = await factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>()
            .Where(e => e.SubjectId == liam.Id).Select(e => e.Event).ToListAsync());
        Assert.Contains("password.changed", events);
    }

    [Fact]
    public async Task A_new_email_address_only_counts_once_confirmed_from_the_mail_sent_to_it()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory().WithSmtpSink(sink);
        await factory.CreateUserAsync("liam", Password, email: "liam@example.com");
        var browser = await factory.SignInAsync("liam", Password);

        var (saved, savedPage) = await SubmitAsync(browser, "/account/profile",
            new() { ["firstName"] = "Liam", ["lastName"] = "N.", ["email"] = "liam@new.example" });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Contains("confirmation link has been sent to liam@new.example", Text(savedPage, "#profile-message"));
        var pending = (await factory.FindUserAsync("liam"))!;
        Assert.Equal("liam@example.com", pending.Email);
        Assert.Equal("Liam", pending.FirstName);

        var link = LinkPath(await sink.WaitForMailAsync("liam@new.example", MailTimeout), "/account/confirm-email");
        // Opening the link changes nothing (mail scanners prefetch links); the button does.
        var (opened, _) = await GetAsync(factory.CreateBrowser(), link);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Equal("liam@example.com", (await factory.FindUserAsync("liam"))!.Email);

        var (confirmed, confirmedPage) = await SubmitAsync(factory.CreateBrowser(), link, []);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.NotNull(confirmedPage.QuerySelector("#confirm-done"));
        var after = (await factory.FindUserAsync("liam"))!;
        Assert.Equal("liam@new.example", after.Email);
        Assert.True(after.EmailConfirmed);

        var (reused, reusedPage) = await GetAsync(factory.CreateBrowser(), link);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.StartsWith("This verification link has already been used", Text(reusedPage, "#confirm-error"));
    }

    [Fact]
    public async Task Verifying_the_current_address_sets_email_confirmed()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory().WithSmtpSink(sink);
        await factory.WithScopeAsync(async s =>
        {
            var users = s.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<LatchkeyUser>>();
            await users.CreateAsync(new LatchkeyUser { UserName = "liam", Email = "liam@example.com", EmailConfirmed = false }, Password);
        });
        var browser = await factory.SignInAsync("liam", Password);

        var (sent, sentPage) = await SubmitAsync(browser, "/account/confirm-email", []);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Equal("A verification link has been sent to liam@example.com.", Text(sentPage, "#confirm-sent"));
        var link = LinkPath(await sink.WaitForMailAsync("liam@example.com", MailTimeout), "/account/confirm-email");

        var (confirmed, _) = await SubmitAsync(browser, link, []);

        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.True((await factory.FindUserAsync("liam"))!.EmailConfirmed);
    }

    [Fact]
    public async Task An_expired_verification_link_is_refused()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSmtpSink(sink);
        await factory.CreateUserAsync("liam", Password, email: "liam@example.com");
        var browser = await factory.SignInAsync("liam", Password);
        await SubmitAsync(browser, "/account/profile", new() { ["email"] = "liam@new.example" });
        var link = LinkPath(await sink.WaitForMailAsync("liam@new.example", MailTimeout), "/account/confirm-email");

        factory.Time!.Advance(TimeSpan.FromHours(24));
        var (response, page) = await GetAsync(factory.CreateBrowser(), link);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("This verification link has expired", Text(page, "#confirm-error"));
        Assert.Equal("liam@example.com", (await factory.FindUserAsync("liam"))!.Email);
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("x@")]
    public async Task A_bad_new_address_is_a_400_and_nothing_is_saved(string email)
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory().WithSmtpSink(sink);
        await factory.CreateUserAsync("liam", Password, email: "liam@example.com", firstName: "Liam");
        var browser = await factory.SignInAsync("liam", Password);

        var (response, page) = await SubmitAsync(browser, "/account/profile", new() { ["firstName"] = "Changed", ["email"] = email });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is not an e-mail address", Text(page, "#profile-errors"));
        Assert.Equal("Liam", (await factory.FindUserAsync("liam"))!.FirstName);
    }
}
