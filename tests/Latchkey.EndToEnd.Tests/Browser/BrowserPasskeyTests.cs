using System.Security.Cryptography;
using System.Text.Json;
using Latchkey.EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Latchkey.EndToEnd.Tests.RealBrowser;

/// <summary>
/// Passkeys in real Chromium against the real server process, with Chromium's virtual authenticator (DevTools WebAuthn domain)
/// standing in for a platform authenticator: register on /account/passkeys, sign out, sign in without a password, and use the
/// passkey as the second factor after the password. The page is opened as http://localhost:PORT, not 127.0.0.1: WebAuthn needs
/// a secure context (both are) and a relying-party id that is a domain name (an IP address never is).
/// </summary>
public sealed class BrowserPasskeyTests(LatchkeyDeployment deployment)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_passkey_registered_in_Chromium_signs_in_without_a_password_and_as_a_second_factor()
    {
        // Its own user: a passkey changes how the shared user's password sign-in goes (second factor), which other tests rely on.
        var userName = "passkey-" + RandomNumberGenerator.GetHexString(8).ToLowerInvariant();
        var password = "E2e-" + RandomNumberGenerator.GetHexString(24);
        await deployment.RunLatchkeyAsync(["users", "add", userName, "--email", userName + "@example.org", "--password-stdin"], password + "\n", Cancellation);
        var site = new Uri($"http://localhost:{deployment.ServerUrl.Port}/");
        var passkeysPage = new Uri(site, "/account/passkeys");

        await using var chromium = await ChromiumBrowser.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable", new Dictionary<string, object> { ["enableUI"] = false });
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        var authenticatorId = added!.Value.GetProperty("authenticatorId").GetString()!;

        // Password sign-in (no factor yet), straight to the passkeys page.
        await page.GotoAsync(new Uri(site, "/account/login?returnUrl=%2Faccount%2Fpasskeys").ToString());
        Assert.True(await page.EvaluateAsync<bool>("window.isSecureContext"), "http://localhost must be a secure context");
        Assert.Equal("username webauthn", await page.GetAttributeAsync("#username", "autocomplete"));
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("form button[type=submit]");
        await WaitForAsync(page, passkeysPage, console);

        // Register.
        await page.FillAsync("#passkey-name", "Virtual key");
        await page.ClickAsync("#passkey-add");
        await page.Locator("#passkey-list .passkey-name").WaitForAsync(new() { Timeout = 60_000 });
        Assert.Equal("Virtual key", (await page.Locator("#passkey-list .passkey-name").InnerTextAsync()).Trim());
        var credential = Assert.Single(await CredentialsAsync(cdp, authenticatorId));
        Assert.True(credential.GetProperty("isResidentCredential").GetBoolean(), "the passkey should be discoverable");

        // Sign out; the login page's autofill request (mediation "conditional") is answered by the authenticator, which holds a
        // discoverable passkey for this site: signed in without typing anything.
        var loginPage = new Uri(site, "/account/login?returnUrl=%2Faccount%2Fpasskeys").ToString();
        await SignOutAsync(page, site);
        await page.GotoAsync(loginPage);
        await WaitForAsync(page, passkeysPage, console);
        Assert.Contains(userName, await page.Locator("header").InnerTextAsync(), StringComparison.Ordinal);
        var afterConditional = Assert.Single(await CredentialsAsync(cdp, authenticatorId)).GetProperty("signCount").GetInt32();
        Assert.True(afterConditional >= 1, $"the authenticator should have signed once (signCount {afterConditional})");

        // From here on the browser behaves like one without conditional UI: the button is the way in.
        await context.AddInitScriptAsync("if (window.PublicKeyCredential) { PublicKeyCredential.isConditionalMediationAvailable = async () => false; }");
        await SignOutAsync(page, site);
        await page.GotoAsync(loginPage);
        Assert.Equal(0, await page.Locator("header form button[type=submit]").CountAsync());
        await page.Locator("#passkey-signin").WaitForAsync(new() { State = WaitForSelectorState.Visible });
        await page.ClickAsync("#passkey-signin");
        await WaitForAsync(page, passkeysPage, console);
        Assert.Contains(userName, await page.Locator("header").InnerTextAsync(), StringComparison.Ordinal);
        var afterPasswordless = Assert.Single(await CredentialsAsync(cdp, authenticatorId)).GetProperty("signCount").GetInt32();
        Assert.True(afterPasswordless > afterConditional, "the button sign-in should have used the authenticator again");

        // Sign out, then password + passkey as the second factor.
        await SignOutAsync(page, site);
        await page.GotoAsync(loginPage);
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("form button[type=submit]");
        await WaitForPathAsync(page, "/account/mfa/verify", console);
        await page.Locator("#passkey-second-factor").WaitForAsync(new() { State = WaitForSelectorState.Visible });
        await page.ClickAsync("#passkey-second-factor");
        await WaitForAsync(page, passkeysPage, console);
        Assert.Contains(userName, await page.Locator("header").InnerTextAsync(), StringComparison.Ordinal);
        var afterSecondFactor = Assert.Single(await CredentialsAsync(cdp, authenticatorId)).GetProperty("signCount").GetInt32();
        Assert.True(afterSecondFactor > afterPasswordless, "the second factor should have used the authenticator again");
        Assert.DoesNotContain(console, line => line.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }

    private static async Task SignOutAsync(IPage page, Uri site)
    {
        await page.ClickAsync("header form button[type=submit]");
        await page.WaitForLoadStateAsync();
        // Signed out: the passkeys page sends the browser to the login page again.
        var probe = await page.APIRequest.GetAsync(new Uri(site, "/account/passkeys").ToString(), new() { MaxRedirects = 0 });
        Assert.Equal(302, probe.Status);
    }

    private static async Task<List<JsonElement>> CredentialsAsync(ICDPSession cdp, string authenticatorId)
    {
        var result = await cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = authenticatorId });
        return [.. result!.Value.GetProperty("credentials").EnumerateArray()];
    }

    private async Task WaitForPathAsync(IPage page, string path, List<string> console)
    {
        try
        {
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == path, new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"never reached {path}; stuck on {page.Url} ({e.Message})\nConsole:\n  {string.Join("\n  ", console)}\n"
                + await page.ContentAsync() + "\n" + deployment.Logs());
        }
    }

    private async Task WaitForAsync(IPage page, Uri expected, List<string> console)
    {
        try
        {
            // Only a guard against a hang; not an expectation about speed.
            await page.WaitForURLAsync(expected.ToString(), new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"never reached {expected}; stuck on {page.Url} ({e.Message})\nConsole:\n  {string.Join("\n  ", console)}\n"
                + await page.ContentAsync() + "\n" + deployment.Logs());
        }
    }
}
