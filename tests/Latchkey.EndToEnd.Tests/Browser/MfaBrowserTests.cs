using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Latchkey.EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;
using OtpNet;

namespace Latchkey.EndToEnd.Tests.RealBrowser;

/// <summary>
/// MFA in real Chromium against the real server process: TOTP enrolment by reading the key off the page and computing codes,
/// sign-in with TOTP, sign-in with a recovery code, and step-up when a single-factor session opens an app that requires MFA.
/// Each test uses its own user, so the shared deployment's account is untouched.
/// </summary>
public sealed class MfaBrowserTests(LatchkeyDeployment deployment)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Enrol_totp_then_sign_in_with_a_code_and_with_a_recovery_code()
    {
        var user = await NewUserAsync();
        await using var chromium = await ChromiumBrowser.LaunchAsync();

        // Enrolment: sign in with the password, open the TOTP page, read the manual key, confirm with a computed code.
        await using var first = await chromium.Browser.NewContextAsync();
        var page = await first.NewPageAsync();
        await SignInWithPasswordAsync(page, user, "/account/mfa");
        await page.WaitForURLAsync(Url("/account/mfa"), new() { Timeout = 60_000 });
        await page.ClickAsync("#enrol-totp");
        await page.Locator("#totp-qr svg").WaitForAsync();
        var totp = new Totp(Base32Encoding.ToBytes((await page.Locator("#manual-key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal)));
        var enrolStep = CurrentStep();
        await page.FillAsync("#code", totp.ComputeTotp(StepTime(enrolStep)));
        await page.ClickAsync("#totp-enrol-form button[type=submit]");
        await page.Locator("#totp-enrolled").WaitForAsync();
        var recoveryCodes = await page.Locator("#recovery-codes li").AllInnerTextsAsync();
        Assert.Equal(10, recoveryCodes.Count);

        // Sign-in with TOTP: the code of the step after the one used to enrol (accepted within the ±1 window, never a replay).
        await using var second = await chromium.Browser.NewContextAsync();
        page = await second.NewPageAsync();
        await SignInWithPasswordAsync(page, user, "/account/mfa");
        await page.Locator("#totp-form").WaitForAsync();
        Assert.Equal("/account/mfa/verify", new Uri(page.Url).AbsolutePath);
        await page.FillAsync("#code", totp.ComputeTotp(StepTime(Math.Max(CurrentStep(), enrolStep + 1))));
        await page.ClickAsync("#totp-form button[type=submit]");
        await page.WaitForURLAsync(Url("/account/mfa"), new() { Timeout = 60_000 });
        Assert.Equal("On.", (await page.Locator("#totp-state").InnerTextAsync()).Trim());
        Assert.Equal("10", await page.Locator("#recovery-count").InnerTextAsync());

        // Sign-in with a recovery code: the page says how many remain.
        await using var third = await chromium.Browser.NewContextAsync();
        page = await third.NewPageAsync();
        await SignInWithPasswordAsync(page, user, "/account/mfa");
        await page.Locator("#totp-form").WaitForAsync();
        await page.ClickAsync("summary");
        await page.FillAsync("#recoveryCode", recoveryCodes[0]);
        await page.ClickAsync("#recovery-form button[type=submit]");
        Assert.Contains("9", await page.Locator("#recovery-remaining").InnerTextAsync(), StringComparison.Ordinal);
        await page.ClickAsync("#continue");
        await page.WaitForURLAsync(Url("/account/mfa"), new() { Timeout = 60_000 });
        Assert.Equal("9", await page.Locator("#recovery-count").InnerTextAsync());
    }

    [Fact]
    public async Task A_single_factor_session_is_stepped_up_when_it_opens_an_app_that_requires_mfa()
    {
        var user = await NewUserAsync();
        var appAddress = IPAddress.Parse("127.0.0.5");
        var appUrl = new Uri($"http://{appAddress}:{FreePort.On(appAddress)}/");
        var consumer = await deployment.AddConsumerAsync("mfa-app-" + RandomNumberGenerator.GetHexString(6).ToLowerInvariant(), appUrl, Cancellation);
        await deployment.RunLatchkeyAsync(["consumers", "update", consumer.Name, "--require-mfa", "true"], standardInput: null, Cancellation);
        using var app = StartSample(appUrl, consumer);
        await app.WaitUntilListeningAsync(appUrl, TimeSpan.FromMinutes(3), Cancellation);
        await using var chromium = await ChromiumBrowser.LaunchAsync();

        // Session A signs in with the password while the user has no second factor.
        await using var sessionA = await chromium.Browser.NewContextAsync();
        var pageA = await sessionA.NewPageAsync();
        await SignInWithPasswordAsync(pageA, user, "/account/mfa");
        await pageA.WaitForURLAsync(Url("/account/mfa"), new() { Timeout = 60_000 });

        // Meanwhile, in another browser, the user sets up TOTP.
        await using var sessionB = await chromium.Browser.NewContextAsync();
        var pageB = await sessionB.NewPageAsync();
        await SignInWithPasswordAsync(pageB, user, "/account/mfa/totp");
        await pageB.Locator("#manual-key").WaitForAsync();
        var totp = new Totp(Base32Encoding.ToBytes((await pageB.Locator("#manual-key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal)));
        var enrolStep = CurrentStep();
        await pageB.FillAsync("#code", totp.ComputeTotp(StepTime(enrolStep)));
        await pageB.ClickAsync("#totp-enrol-form button[type=submit]");
        await pageB.Locator("#totp-enrolled").WaitForAsync();

        // Session A (password only) opens the app: Latchkey asks for the second factor, then the app signs the user in.
        var appPrivate = new Uri(appUrl, "private");
        await pageA.GotoAsync(appPrivate.ToString());
        await pageA.Locator("#totp-form").WaitForAsync();
        Assert.Equal("/account/mfa/verify", new Uri(pageA.Url).AbsolutePath);
        await pageA.FillAsync("#code", totp.ComputeTotp(StepTime(Math.Max(CurrentStep(), enrolStep + 1))));
        await pageA.ClickAsync("#totp-form button[type=submit]");
        await pageA.WaitForURLAsync(appPrivate.ToString(), new() { Timeout = 60_000 });
        Assert.Contains($"Signed in as {user.UserName}", await pageA.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);
    }

    private async Task<TestUser> NewUserAsync()
    {
        var user = new TestUser("mfa-" + RandomNumberGenerator.GetHexString(8).ToLowerInvariant(), "mfa@example.org", "E2e-" + RandomNumberGenerator.GetHexString(24));
        await deployment.RunLatchkeyAsync(["users", "add", user.UserName, "--email", user.Email, "--password-stdin"], user.Password + "\n", Cancellation);
        return user;
    }

    private async Task SignInWithPasswordAsync(IPage page, TestUser user, string returnUrl)
    {
        await page.GotoAsync(Url("/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl)));
        await page.FillAsync("#username", user.UserName);
        await page.FillAsync("#password", user.Password);
        // Enter in the password field submits the login form (the page may carry other buttons, e.g. for passkeys).
        await page.PressAsync("#password", "Enter");
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal), new() { Timeout = 60_000 });
    }

    private string Url(string pathAndQuery) => new Uri(deployment.ServerUrl, pathAndQuery).ToString();

    // The test computes codes as an authenticator app would: from the real clock, which the server process shares.
    private static long CurrentStep() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;

    private static DateTime StepTime(long step) => DateTimeOffset.FromUnixTimeSeconds(step * 30).UtcDateTime;

    private ChildProcess StartSample(Uri url, ConsumerCredentials consumer)
    {
        var dll = RepositoryLayout.SampleWebAppDll;
        var startInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)! };
        startInfo.ArgumentList.Add(dll);
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["ASPNETCORE_URLS"] = url.GetLeftPart(UriPartial.Authority);
        startInfo.Environment["Sample__Name"] = "MFA App";
        startInfo.Environment["SimpleSso__ServerUrl"] = deployment.SimpleSsoUrl.ToString();
        startInfo.Environment["SimpleSso__PublicKey"] = consumer.PublicKey;
        startInfo.Environment["SimpleSso__PrivateKey"] = consumer.PrivateKey;
        return ChildProcess.Start("sample mfa-app", startInfo);
    }
}
