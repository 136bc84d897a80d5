using System.Net;
using Latchkey.EndToEnd.Tests.Infrastructure;

namespace Latchkey.EndToEnd.Tests;

/// <summary>SQLite (the default storage), started once for the assembly.</summary>
public sealed class SingleSignOnAcrossSampleAppsTests(LatchkeyDeployment deployment) : SingleSignOnScenarios(deployment);

/// <summary>The same scenarios with the server on PostgreSQL; skipped when no PostgreSQL is configured.</summary>
public sealed class SingleSignOnOnPostgreSqlTests(PostgreSqlLatchkeyDeployment deployment)
    : SingleSignOnScenarios(deployment)
{
    protected override void RequireDeployment()
    {
        if (!PostgreSqlLatchkeyDeployment.IsConfigured)
        {
            Assert.Skip($"{PostgreSqlLatchkeyDeployment.EnvironmentVariable} is not set (.ci/run sets it).");
        }
    }
}

/// <summary>
/// A browser signs in once on Latchkey through one sample site and is then signed in on a second
/// site without seeing a login form: real server process, real sample processes, real cookies.
/// </summary>
public abstract class SingleSignOnScenarios(LatchkeyDeployment deployment)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Skips the test when this variant's deployment cannot run here.</summary>
    protected virtual void RequireDeployment()
    {
    }

    [Fact]
    public async Task Signing_in_through_one_app_signs_the_browser_in_on_the_other()
    {
        RequireDeployment();
        using var browser = new Browser();
        var appOnePrivate = new Uri(deployment.AppOneUrl, "private");
        var appTwoPrivate = new Uri(deployment.AppTwoUrl, "private");

        // app1 sends the anonymous browser through its login start to Latchkey, which shows its login form.
        var loginPage = await browser.GoAsync(appOnePrivate, Cancellation);
        Assert.True(IsOn(deployment.ServerUrl, loginPage.Url), Explain(browser, $"expected Latchkey's login page, got {loginPage.Url}"));
        Assert.Equal(HttpStatusCode.OK, loginPage.Status);
        Assert.NotNull(Browser.FindLoginForm(loginPage));
        Assert.Contains(browser.History, visit => IsOn(deployment.AppOneUrl, visit.Url) && visit.Url.AbsolutePath == "/sso/login/");
        Assert.Contains(browser.History, visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Url.AbsolutePath == "/sso/authorize/");

        var afterSignIn = await browser.SignInAsync(loginPage, deployment.User.UserName, deployment.User.Password, Cancellation);

        Assert.Equal(appOnePrivate, afterSignIn.Url);
        Assert.True(afterSignIn.Status == HttpStatusCode.OK, Explain(browser, $"app1 /private answered {afterSignIn.Status}"));
        Assert.Contains(deployment.User.UserName, afterSignIn.Body, StringComparison.Ordinal);
        Assert.Contains(browser.History, visit => IsOn(deployment.AppOneUrl, visit.Url) && visit.Url.AbsolutePath == "/sso/authenticate/");

        // app2 has never seen this browser, but Latchkey has: no form, straight back signed in.
        var firstVisitOnAppTwo = browser.History.Count;
        var appTwoPage = await browser.GoAsync(appTwoPrivate, Cancellation);

        var appTwoHops = browser.History.Skip(firstVisitOnAppTwo).ToList();
        Assert.Equal(appTwoPrivate, appTwoPage.Url);
        Assert.True(appTwoPage.Status == HttpStatusCode.OK, Explain(browser, $"app2 /private answered {appTwoPage.Status}"));
        Assert.Contains(deployment.User.UserName, appTwoPage.Body, StringComparison.Ordinal);
        Assert.Contains(appTwoHops, visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Url.AbsolutePath == "/sso/authorize/");
        Assert.Contains(appTwoHops, visit => IsOn(deployment.AppTwoUrl, visit.Url) && visit.Url.AbsolutePath == "/sso/authenticate/");
        Assert.DoesNotContain(appTwoHops, visit => IsOn(deployment.ServerUrl, visit.Url) && visit.Status == HttpStatusCode.OK);
        Assert.Null(Browser.FindLoginForm(appTwoPage));
    }

    [Fact]
    public async Task An_anonymous_browser_on_the_second_app_is_asked_to_sign_in()
    {
        RequireDeployment();
        using var browser = new Browser();

        var page = await browser.GoAsync(new Uri(deployment.AppTwoUrl, "private"), Cancellation);

        Assert.True(IsOn(deployment.ServerUrl, page.Url), Explain(browser, $"expected Latchkey's login page, got {page.Url}"));
        Assert.NotNull(Browser.FindLoginForm(page));
        Assert.DoesNotContain(deployment.User.UserName, page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_captured_callback_url_does_not_sign_in_another_browser()
    {
        RequireDeployment();
        using var victim = new Browser();
        var loginPage = await victim.GoAsync(new Uri(deployment.AppOneUrl, "private"), Cancellation);
        await victim.SignInAsync(loginPage, deployment.User.UserName, deployment.User.Password, Cancellation);
        var callback = victim.History.Last(visit => IsOn(deployment.AppOneUrl, visit.Url) && visit.Url.AbsolutePath == "/sso/authenticate/").Url;
        Assert.Contains("access_token=", callback.Query, StringComparison.Ordinal);

        // An attacker who read the URL from a log or a Referer replays it from a fresh browser.
        using var attacker = new Browser();
        var page = await attacker.GoAsync(callback, Cancellation);

        var signedIn = page.Url == new Uri(deployment.AppOneUrl, "private") && page.Status == HttpStatusCode.OK;
        Assert.False(signedIn, Explain(attacker, "the replayed callback signed a fresh browser in"));
        Assert.DoesNotContain(deployment.User.UserName, page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_signing_out_of_Latchkey_the_next_app_asks_for_credentials_again()
    {
        RequireDeployment();
        using var browser = new Browser();
        var loginPage = await browser.GoAsync(new Uri(deployment.AppOneUrl, "private"), Cancellation);
        var signedIn = await browser.SignInAsync(loginPage, deployment.User.UserName, deployment.User.Password, Cancellation);
        Assert.Equal(new Uri(deployment.AppOneUrl, "private"), signedIn.Url);

        var logoutPage = await browser.GoAsync(new Uri(deployment.ServerUrl, "account/logout"), Cancellation);
        // The layout may carry its own sign-out button; any POST form that targets the logout page will do.
        var logoutUrl = new Uri(deployment.ServerUrl, "account/logout");
        var logoutForm = logoutPage.Document.Forms.FirstOrDefault(form =>
            string.Equals(form.Method, "post", StringComparison.OrdinalIgnoreCase)
            && new Uri(logoutPage.Url, string.IsNullOrEmpty(form.GetAttribute("action")) ? logoutPage.Url.PathAndQuery : form.GetAttribute("action")).AbsolutePath == logoutUrl.AbsolutePath);
        Assert.True(logoutForm is not null, Explain(browser, "no POST form on the logout page\n" + logoutPage.Body));
        Assert.NotNull(logoutForm.QuerySelector($"input[name='{Browser.AntiforgeryField}']"));
        var afterLogout = await browser.SubmitAsync(logoutPage, logoutForm, values: null, Cancellation);
        Assert.True((int)afterLogout.Status < 400, Explain(browser, $"sign-out answered {afterLogout.Status}"));

        var page = await browser.GoAsync(new Uri(deployment.AppTwoUrl, "private"), Cancellation);

        Assert.True(IsOn(deployment.ServerUrl, page.Url), Explain(browser, $"expected Latchkey's login page, got {page.Url}"));
        Assert.NotNull(Browser.FindLoginForm(page));
    }

    private static bool IsOn(Uri site, Uri url) =>
        Uri.Compare(site, url, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private string Explain(Browser browser, string problem) =>
        problem + "\nHops:\n" + string.Join("\n", browser.History.Select(v => $"  {v.Method} {v.Url} -> {(int)v.Status} {v.Location}"))
        + "\n" + deployment.Logs();
}
