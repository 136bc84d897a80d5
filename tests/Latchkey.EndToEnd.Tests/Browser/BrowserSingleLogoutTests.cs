using Latchkey.EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Latchkey.EndToEnd.Tests.RealBrowser;

/// <summary>
/// Single logout in a real browser (Chromium) across the two sample apps of the shared deployment (real processes): sign in
/// once, open both apps, sign out in one — the app's sign-out ends the SSO session through Latchkey's signed logout endpoint,
/// and Latchkey's signed back-channel call signs the other app out.
/// </summary>
public sealed class BrowserSingleLogoutTests(LatchkeyDeployment deployment)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Signing_out_of_one_app_signs_the_browser_out_of_latchkey_and_the_other_app()
    {
        foreach (var (name, url) in new[] { ("app1", deployment.AppOneUrl), ("app2", deployment.AppTwoUrl) })
        {
            var registered = await deployment.RunLatchkeyAsync(
                ["consumers", "update", name, "--backchannel-logout-url", new Uri(url, "sso/backchannel-logout/").ToString()], standardInput: null, Cancellation);
            Assert.True(registered.ExitCode == 0, registered.ToString());
        }

        await using var chromium = await ChromiumBrowser.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var appOnePrivate = new Uri(deployment.AppOneUrl, "private");
        var appTwoPrivate = new Uri(deployment.AppTwoUrl, "private");

        await page.GotoAsync(appOnePrivate.ToString());
        await page.FillAsync("#username", deployment.User.UserName);
        await page.FillAsync("#password", deployment.User.Password);
        await page.ClickAsync("button[type=submit]");
        await WaitForUrlAsync(page, appOnePrivate);
        Assert.Contains("Signed in as", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);
        await page.GotoAsync(appTwoPrivate.ToString());
        await WaitForUrlAsync(page, appTwoPrivate);
        Assert.Contains("Signed in as", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);

        // Sign out in app two: through Latchkey's logout endpoint and back to app two's home page.
        await page.ClickAsync("form[action='/logout'] button[type=submit]");
        await WaitForUrlAsync(page, deployment.AppTwoUrl);
        Assert.Equal("Not signed in.", await page.Locator("#status").InnerTextAsync());

        // App one hears it over the back channel (delivered in the background; the bound only guards against a hang).
        string status;
        var attempt = 0;
        do
        {
            if (attempt++ > 0)
            {
                await page.WaitForTimeoutAsync(250);
            }

            await page.GotoAsync(deployment.AppOneUrl.ToString());
            status = await page.Locator("#status").InnerTextAsync();
        }
        while (status != "Not signed in." && attempt < 120 && !Cancellation.IsCancellationRequested);

        Assert.True(status == "Not signed in.", $"app one still says '{status}'\n{deployment.Logs()}");

        // And Latchkey itself asks for credentials again.
        await page.GotoAsync(appOnePrivate.ToString());
        Assert.Equal("/account/login", new Uri(page.Url).AbsolutePath);
    }

    private async Task WaitForUrlAsync(IPage page, Uri expected)
    {
        try
        {
            await page.WaitForURLAsync(expected.ToString(), new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"never reached {expected}; stuck on {page.Url} ({e.Message})\n{await page.ContentAsync()}\n{deployment.Logs()}");
        }
    }
}
