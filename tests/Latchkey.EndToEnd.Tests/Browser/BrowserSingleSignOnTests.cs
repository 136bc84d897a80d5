using System.Collections.Concurrent;
using Latchkey.EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;

// Not "...Tests.Browser": a namespace of that name would hide the Infrastructure.Browser class from the other tests.
namespace Latchkey.EndToEnd.Tests.RealBrowser;

/// <summary>
/// The two-app demo in a real browser (Chromium): real server and sample processes from the shared
/// deployment, real cookies, real redirects, and the browser's own enforcement of the login page's
/// Content-Security-Policy (Chromium applies <c>form-action</c> to every redirect after the form POST).
/// </summary>
public sealed class BrowserSingleSignOnTests(LatchkeyDeployment deployment)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Signing_in_on_app_one_in_Chromium_signs_the_browser_in_on_app_two()
    {
        await using var chromium = await ChromiumBrowser.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var log = BrowserLog.Attach(page);
        var appOnePrivate = new Uri(deployment.AppOneUrl, "private");
        var appTwoPrivate = new Uri(deployment.AppTwoUrl, "private");

        await page.GotoAsync(appOnePrivate.ToString());

        Assert.True(IsOn(deployment.ServerUrl, page.Url), Explain(log, $"expected Latchkey's login page, got {page.Url}"));
        Assert.Equal("/account/login", new Uri(page.Url).AbsolutePath);
        await SaveScreenshotAsync(page, "login-page.png");

        await page.FillAsync("#username", deployment.User.UserName);
        await page.FillAsync("#password", deployment.User.Password);
        await page.ClickAsync("button[type=submit]");
        await WaitForUrlAsync(page, appOnePrivate, log);

        Assert.Contains($"Signed in as {deployment.User.UserName}", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains(log.Requests, r => IsOn(deployment.AppOneUrl, r) && new Uri(r).AbsolutePath == "/sso/authenticate/");

        // App two: through Latchkey and straight back, with no page of Latchkey's shown.
        var before = log.ResponsesSoFar().Count;
        await page.GotoAsync(appTwoPrivate.ToString());
        await WaitForUrlAsync(page, appTwoPrivate, log);

        Assert.Contains($"Signed in as {deployment.User.UserName}", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("input[type=password]").CountAsync());
        var appTwoHops = log.ResponsesSoFar().Skip(before).ToList();
        Assert.Contains(appTwoHops, r => IsOn(deployment.ServerUrl, r.Url) && new Uri(r.Url).AbsolutePath == "/sso/authorize/");
        Assert.DoesNotContain(appTwoHops, r => IsOn(deployment.ServerUrl, r.Url) && r.Status == 200);
        Assert.True(log.CspViolations.IsEmpty, Explain(log, "Chromium reported Content-Security-Policy violations"));
    }

    [Fact]
    public async Task The_login_page_works_with_JavaScript_disabled()
    {
        await using var chromium = await ChromiumBrowser.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync(new() { JavaScriptEnabled = false });
        var page = await context.NewPageAsync();
        var log = BrowserLog.Attach(page);
        var appOnePrivate = new Uri(deployment.AppOneUrl, "private");

        await page.GotoAsync(appOnePrivate.ToString());
        Assert.True(IsOn(deployment.ServerUrl, page.Url), Explain(log, $"expected Latchkey's login page, got {page.Url}"));

        // A failed attempt first: the error must render server-side, with the form ready for another try.
        // An unknown user rather than a wrong password for the shared one: a failure count on that account
        // would race with the other tests signing in as it at the same moment.
        await page.FillAsync("#username", "nobody-" + Guid.NewGuid().ToString("N"));
        await page.FillAsync("#password", "not-" + deployment.User.Password);
        await page.ClickAsync("button[type=submit]");
        await page.Locator("#login-error").WaitForAsync();
        Assert.True(IsOn(deployment.ServerUrl, page.Url), Explain(log, $"a wrong password left the login page: {page.Url}"));

        await page.FillAsync("#username", deployment.User.UserName);
        await page.FillAsync("#password", deployment.User.Password);
        await page.ClickAsync("button[type=submit]");
        await WaitForUrlAsync(page, appOnePrivate, log);

        Assert.Contains($"Signed in as {deployment.User.UserName}", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(log.CspViolations.IsEmpty, Explain(log, "Chromium reported Content-Security-Policy violations"));
    }

    private static async Task WaitForUrlAsync(IPage page, Uri expected, BrowserLog log)
    {
        try
        {
            // Only a guard against a hang; not an expectation about speed.
            await page.WaitForURLAsync(expected.ToString(), new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            Assert.Fail(log.Describe($"never reached {expected}; stuck on {page.Url} ({e.Message})\n{await page.ContentAsync()}"));
        }
    }

    private static async Task SaveScreenshotAsync(IPage page, string fileName)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "browser-screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(directory, fileName), FullPage = true });
    }

    private static bool IsOn(Uri site, string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var parsed)
        && Uri.Compare(site, parsed, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private string Explain(BrowserLog log, string problem) => log.Describe(problem) + "\n" + deployment.Logs();

    /// <summary>What the page requested, what came back, and what the console said about CSP.</summary>
    private sealed class BrowserLog
    {
        public ConcurrentQueue<string> Requests { get; } = new();

        private List<(string Url, int Status)> Responses { get; } = [];

        public ConcurrentQueue<string> CspViolations { get; } = new();

        private ConcurrentQueue<string> Console { get; } = new();

        public static BrowserLog Attach(IPage page)
        {
            var log = new BrowserLog();
            page.Request += (_, request) => log.Requests.Enqueue(request.Url);
            page.Response += (_, response) =>
            {
                lock (log.Responses)
                {
                    log.Responses.Add((response.Url, response.Status));
                }
            };
            page.Console += (_, message) =>
            {
                log.Console.Enqueue($"{message.Type}: {message.Text}");
                if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                {
                    log.CspViolations.Enqueue(message.Text);
                }
            };
            return log;
        }

        public List<(string Url, int Status)> ResponsesSoFar()
        {
            lock (Responses)
            {
                return [.. Responses];
            }
        }

        public string Describe(string problem)
        {
            lock (Responses)
            {
                return problem
                    + "\nResponses:\n" + string.Join("\n", Responses.Select(r => $"  {r.Status} {r.Url}"))
                    + "\nConsole:\n" + string.Join("\n", Console.Select(line => "  " + line));
            }
        }
    }
}
