using System.Net;
using Latchkey.Server.Pages.Admin;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.AccountSecurity;

/// <summary>Escalating lockout on the app's (fake) clock, with uniform answers; SQLite and PostgreSQL.</summary>
public sealed class LockoutTests
{
    private const string Password = "juniper berries at dawn";

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Each_further_lockout_doubles_up_to_the_cap_and_success_starts_over(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true)
            .WithSetting("Latchkey:Accounts:Lockout:MaxFailedAttempts", "3")
            .WithSetting("Latchkey:Accounts:Lockout:BaseDuration", "00:01:00")
            .WithSetting("Latchkey:Accounts:Lockout:MaxDuration", "00:03:00");
        await factory.CreateUserAsync("june", Password);
        var time = factory.Time!;

        // 1st lockout: 1 minute.
        await FailAsync(factory, 3);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(1), (await factory.FindUserAsync("june"))!.LockoutEnd);
        Assert.Equal(HttpStatusCode.OK, await SignInStatusAsync(factory, Password));
        time.Advance(TimeSpan.FromSeconds(61));

        // 2nd: 2 minutes; the right password during the lockout fails like any other attempt and changes nothing.
        await FailAsync(factory, 3);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(2), (await factory.FindUserAsync("june"))!.LockoutEnd);
        time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(HttpStatusCode.OK, await SignInStatusAsync(factory, Password));
        Assert.Equal(6, (await factory.FindUserAsync("june"))!.AccessFailedCount);
        time.Advance(TimeSpan.FromSeconds(2));

        // 3rd: 4 minutes capped at 3.
        await FailAsync(factory, 3);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(3), (await factory.FindUserAsync("june"))!.LockoutEnd);
        time.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1));

        // Success resets: the next run of failures starts at the base duration again.
        Assert.Equal(HttpStatusCode.Redirect, await SignInStatusAsync(factory, Password));
        Assert.Equal(0, (await factory.FindUserAsync("june"))!.AccessFailedCount);
        await FailAsync(factory, 3);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(1), (await factory.FindUserAsync("june"))!.LockoutEnd);
    }

    [Fact]
    public async Task Locked_out_unknown_and_wrong_password_answers_are_identical()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSetting("Latchkey:Accounts:Lockout:MaxFailedAttempts", "2");
        await factory.CreateUserAsync("june", Password);
        await FailAsync(factory, 2);

        using var locked = await LoginForm.SubmitAsync(factory.CreateBrowser(), "june", Password);
        using var unknown = await LoginForm.SubmitAsync(factory.CreateBrowser(), "nobody-at-all", Password);

        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        Assert.Equal(unknown.StatusCode, locked.StatusCode);
        var lockedText = (await HtmlForms.ParseAsync(locked)).QuerySelector("#login-error")?.TextContent;
        Assert.Equal("Invalid username or password.", lockedText);
        Assert.Equal(lockedText, (await HtmlForms.ParseAsync(unknown)).QuerySelector("#login-error")?.TextContent);
    }

    [Fact]
    public async Task Identity_lockout_checks_use_the_app_clock()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSetting("Latchkey:Accounts:Lockout:MaxFailedAttempts", "1");
        await factory.CreateUserAsync("june", Password);
        await FailAsync(factory, 1);

        Assert.True(await IsLockedOutAsync(factory));
        factory.Time!.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.False(await IsLockedOutAsync(factory));
    }

    [Fact]
    public async Task Identity_counted_failures_escalate_too()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSetting("Latchkey:Accounts:Lockout:MaxFailedAttempts", "2");
        await factory.CreateUserAsync("june", Password);

        await factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var user = (await users.FindByNameAsync("june"))!;
            for (var i = 0; i < 4; i++)
            {
                await users.AccessFailedAsync(user);
            }
        });

        Assert.Equal(factory.Time!.GetUtcNow() + TimeSpan.FromMinutes(2), (await factory.FindUserAsync("june"))!.LockoutEnd);
    }

    [Fact]
    public async Task Admin_unlock_ends_the_lockout_and_the_escalation()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSetting("Latchkey:Accounts:Lockout:MaxFailedAttempts", "2");
        await factory.CreateUserAsync("june", Password);
        await FailAsync(factory, 2);
        Assert.True(await IsLockedOutAsync(factory));

        var result = await factory.WithScopeAsync(s => UserAdministration.From(s).UnlockAsync("june"));

        Assert.True(result.Succeeded);
        Assert.False(await IsLockedOutAsync(factory));
        Assert.Equal(HttpStatusCode.Redirect, await SignInStatusAsync(factory, Password));
    }

    [Fact]
    public async Task A_lockout_is_audited()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSetting("Latchkey:Accounts:Lockout:MaxFailedAttempts", "2");
        var june = await factory.CreateUserAsync("june", Password);
        await FailAsync(factory, 2);

        var events = await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            return await db.Set<Latchkey.Server.Audit.AuditEntry>().Where(e => e.SubjectId == june.Id).Select(e => e.Event).ToListAsync();
        });
        Assert.Contains("account.locked_out", events);
    }

    [Theory]
    [InlineData("Latchkey:Accounts:Lockout:MaxFailedAttempts", "0", "Latchkey:Accounts:Lockout:MaxFailedAttempts must be between 1 and 1000")]
    [InlineData("Latchkey:Accounts:Lockout:BaseDuration", "00:00:00", "Latchkey:Accounts:Lockout:BaseDuration must be a positive duration")]
    [InlineData("Latchkey:Accounts:Lockout:MaxDuration", "00:00:30", "Latchkey:Accounts:Lockout:MaxDuration must be at least BaseDuration")]
    public async Task Bad_lockout_settings_fail_at_startup(string key, string value, string expected)
    {
        await using var factory = new LatchkeyServerFactory().WithSetting(key, value);

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);
        Assert.Contains(expected, Mail.MailTests.ValidationMessage(error));
    }

    private static async Task FailAsync(LatchkeyServerFactory factory, int times)
    {
        for (var i = 0; i < times; i++)
        {
            using var failed = await LoginForm.SubmitAsync(factory.CreateBrowser(), "june", "not the password " + i);
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }
    }

    private static async Task<HttpStatusCode> SignInStatusAsync(LatchkeyServerFactory factory, string password)
    {
        using var response = await LoginForm.SubmitAsync(factory.CreateBrowser(), "june", password);
        return response.StatusCode;
    }

    private static Task<bool> IsLockedOutAsync(LatchkeyServerFactory factory) =>
        factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            return await users.IsLockedOutAsync((await users.FindByNameAsync("june"))!);
        });
}
