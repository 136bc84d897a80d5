using System.Net;
using Latchkey.Client.Tests.Infrastructure;

namespace Latchkey.Client.Tests;

public sealed class SecretHygieneTests
{
    [Fact]
    public async Task No_token_or_key_reaches_the_logs_on_success_or_failure()
    {
        var logs = new CapturingLoggerProvider();
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2, clientLogs: logs);
        var browser = harness.NewBrowser();

        // One good login, one replay, one forged token, one verify failure.
        var trail = await browser.NavigateAsync(harness.ClientUrl("private"));
        Assert.Equal(HttpStatusCode.OK, trail[^1].Status);
        var callback = trail.Single(r => r.Url.AbsolutePath == "/sso/authenticate/").Url;
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(callback)).Status);
        var second = harness.NewBrowser();
        var start = await second.GetAsync(harness.ClientUrl("sso/login/"));
        var fresh = await second.GetAsync(new Uri(start.Location!));
        Assert.Equal(HttpStatusCode.BadRequest, (await second.GetAsync(new Uri(fresh.Location!.Replace("access_token=I", "access_token=J")))).Status);
        harness.Server.Verify = VerifyBehaviour.Always500;
        Assert.Equal(HttpStatusCode.Forbidden, (await harness.NewBrowser().NavigateAsync(harness.ClientUrl("private")))[^1].Status);

        var secrets = harness.Server.IssuedSecrets
            .Append(harness.Server.PrivateKey)
            .Append(System.Web.HttpUtility.ParseQueryString(callback.Query)["access_token"]!)
            .ToList();
        Assert.NotEmpty(logs.Messages);
        Assert.Contains(logs.Messages, m => m.Contains("callback refused", StringComparison.Ordinal));
        // Hosting's own request line carries the callback URL at Information (the sample raises that category to Warning);
        // such a URL is useless without the browser's one-time correlation cookie. Everything else must be clean.
        var leaks = logs.Messages
            .Where(m => !m.StartsWith("Microsoft.AspNetCore.Hosting.Diagnostics ", StringComparison.Ordinal))
            .Where(m => secrets.Any(s => m.Contains(s, StringComparison.Ordinal))).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }

    [Fact]
    public async Task Two_logins_started_in_two_tabs_of_one_browser_both_complete()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V0_24);
        var browser = harness.NewBrowser();

        var first = await browser.GetAsync(harness.ClientUrl("sso/login/?next=/one"));
        var second = await browser.GetAsync(harness.ClientUrl("sso/login/?next=/two"));
        var secondCallback = await browser.GetAsync(new Uri(second.Location!));
        var firstCallback = await browser.GetAsync(new Uri(first.Location!));

        Assert.Equal("/two", (await browser.GetAsync(new Uri(secondCallback.Location!))).Location);
        Assert.Equal("/one", (await browser.GetAsync(new Uri(firstCallback.Location!))).Location);
    }

    [Fact]
    public async Task Login_start_answers_only_GET()
    {
        await using var harness = await SsoHarness.StartAsync(PythonItsDangerous.V2);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });

        using var response = await http.PostAsync(harness.ClientUrl("sso/login/"), new StringContent(""), TestContext.Current.CancellationToken);

        Assert.NotEqual(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Empty(harness.Server.Calls);
    }
}
