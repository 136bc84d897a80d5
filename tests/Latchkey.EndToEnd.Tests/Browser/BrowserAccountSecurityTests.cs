using System.Security.Cryptography;
using Latchkey.EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Latchkey.EndToEnd.Tests.RealBrowser;

/// <summary>
/// Account security in Chromium against the real server process: lockout after repeated failures (and the admin unlock
/// from the CLI), and a password reset whose link arrives over SMTP at the deployment's mail sink.
/// </summary>
public sealed class BrowserAccountSecurityTests(LatchkeyDeployment deployment)
{
    private static readonly TimeSpan MailTimeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Repeated_failures_lock_the_account_until_an_admin_unlocks_it()
    {
        var userName = "lockme-" + RandomNumberGenerator.GetHexString(6).ToLowerInvariant();
        var password = "Lock-" + RandomNumberGenerator.GetHexString(20);
        await deployment.RunLatchkeyAsync(["users", "add", userName, "--email", userName + "@example.org", "--password-stdin"], password + "\n", Cancellation);
        await using var chromium = await ChromiumBrowser.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("Invalid username or password.", await SignInAsync(page, userName, "wrong password " + i));
        }

        // Locked: the right password gets the very same answer.
        Assert.Equal("Invalid username or password.", await SignInAsync(page, userName, password));

        await deployment.RunLatchkeyAsync(["users", "unlock", userName], standardInput: null, Cancellation);
        Assert.Null(await SignInAsync(page, userName, password));
        await page.GotoAsync(new Uri(deployment.ServerUrl, "account").ToString());
        Assert.Equal(userName, await page.Locator("#account-username").InnerTextAsync());
    }

    [Fact]
    public async Task A_forgotten_password_is_reset_through_the_mailed_link()
    {
        var userName = "resetme-" + RandomNumberGenerator.GetHexString(6).ToLowerInvariant();
        var email = userName + "@example.org";
        var newPassword = "New-pass phrase " + RandomNumberGenerator.GetHexString(8);
        await deployment.RunLatchkeyAsync(["users", "add", userName, "--email", email, "--password-stdin"], "Old-" + RandomNumberGenerator.GetHexString(20) + "\n", Cancellation);
        await using var chromium = await ChromiumBrowser.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(new Uri(deployment.ServerUrl, "account/login").ToString());
        await page.ClickAsync("#forgot-password");
        await page.FillAsync("#email", email);
        await page.ClickAsync("main button[type=submit]");
        await page.Locator("#forgot-sent").WaitForAsync();

        var mail = await deployment.Mail.WaitForMailAsync(email, MailTimeout);
        var link = mail.FindLink("/account/reset-password");
        Assert.StartsWith(deployment.ServerUrl.ToString(), link, StringComparison.Ordinal);

        await page.GotoAsync(link);
        await page.FillAsync("#new-password", newPassword);
        await page.FillAsync("#confirm-password", newPassword);
        await page.ClickAsync("main button[type=submit]");
        await page.Locator("#reset-done").WaitForAsync();

        Assert.Null(await SignInAsync(page, userName, newPassword));

        // The link was for one use.
        var again = await page.GotoAsync(link);
        Assert.Equal(400, again!.Status);
        Assert.StartsWith("This password-reset link has already been used", await page.Locator("#reset-error").InnerTextAsync());
    }

    /// <summary>Signs in through the login form; the error shown, or null when the browser left the login page.</summary>
    private async Task<string?> SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync(new Uri(deployment.ServerUrl, "account/login").ToString());
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("main form button[type=submit]");
        await page.WaitForLoadStateAsync(LoadState.Load);
        if (new Uri(page.Url).AbsolutePath == "/account/login")
        {
            var error = page.Locator("#login-error");
            return await error.CountAsync() > 0 ? (await error.InnerTextAsync()).Trim() : "(login page without an error)";
        }

        return null;
    }
}
