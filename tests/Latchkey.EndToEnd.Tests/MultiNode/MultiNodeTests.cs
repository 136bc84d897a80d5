using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Latchkey.EndToEnd.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.EndToEnd.Tests.MultiNode;

/// <summary>
/// Real server processes behind no proxy at all: the test picks the node for every request, the way a
/// sticky-free load balancer might. Nodes A and B stay up; node C is killed by the kill -9 test.
/// </summary>
public sealed partial class MultiNodeTests(LatchkeyCluster cluster) : IClassFixture<LatchkeyCluster>
{
    private const int A = 0;
    private const int B = 1;
    private const int C = 2;

    // How long to keep polling for something that should take about a second; a hang guard, never a timing claim.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_login_made_on_one_node_is_honoured_by_the_others()
    {
        RequireCluster();
        using var browser = new Browser();
        await SignInAsync(browser, A);

        Assert.True(await IsSignedInAsync(browser, B), cluster.Logs());
        Assert.True(await IsSignedInAsync(browser, A), cluster.Logs());
    }

    [Fact]
    public async Task A_session_ended_on_one_node_is_refused_by_the_others()
    {
        RequireCluster();
        using var browser = new Browser();
        await SignInAsync(browser, A);
        // The same cookie in a second jar (another tab's request in flight, or a stolen cookie): logging out deletes it only in the first.
        using var sameCookie = new Browser(CopyOf(browser.Cookies));
        Assert.True(await IsSignedInAsync(sameCookie, A));
        Assert.True(await IsSignedInAsync(sameCookie, B));

        var confirm = await browser.GoAsync(Url(B, "account/logout"), Ct);
        var form = confirm.Document.Forms.FirstOrDefault(f => (f.GetAttribute("action") ?? "").Contains("logout", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"No logout form on node B:\n{confirm.Body}");
        var loggedOut = await browser.SubmitAsync(confirm, form, values: null, Ct);
        Assert.True((int)loggedOut.Status < 400, $"logout on B answered {(int)loggedOut.Status}");

        // Node A cached the session as active a moment ago; it must refuse it now (about a second; we poll generously).
        await WaitUntilAsync(async () => !await IsSignedInAsync(sameCookie, A), "node A kept honouring a session ended on node B");
        Assert.False(await IsSignedInAsync(sameCookie, B));
    }

    [Fact]
    public async Task A_key_rotated_through_one_node_is_published_and_accepted_by_another()
    {
        RequireCluster();
        var client = LatchkeyCluster.JsonLine(await cluster.RunLatchkeyAsync(
            ["clients", "add", "machine-" + Guid.NewGuid().ToString("N")[..8], "--type", "confidential", "--grant", "client_credentials", "--scope", "profile", "--json"],
            standardInput: null, Ct));
        var clientId = client.GetProperty("client_id").GetString()!;
        var secret = client.GetProperty("client_secret").GetString()!;

        // The CLI shares the nodes' database and Redis: what it rotates, every node hears of.
        var rotated = await cluster.RunLatchkeyAsync(["keys", "rotate", "--algorithm", "RS256"], standardInput: null, Ct);
        var kid = RotatedKid().Match(rotated.StandardOutput) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException(rotated.ToString());

        await WaitUntilAsync(async () => (await JwksAsync(B)).Keys.Any(k => k.Kid == kid), $"node B never published key {kid}");

        // A token node A signs with the new key...
        string? token = null;
        await WaitUntilAsync(async () => KidOf(token = await ClientCredentialsTokenAsync(A, clientId, secret)) == kid, $"node A never signed with key {kid}");

        // ...is active according to node B, and validates against node B's JWKS as any relying party would check it.
        var introspection = await PostFormAsync(B, "connect/introspect", new() { ["client_id"] = clientId, ["client_secret"] = secret, ["token"] = token! });
        Assert.True(introspection.GetProperty("active").GetBoolean(), introspection.ToString());
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler();
        var validation = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = (await JwksAsync(B)).GetSigningKeys(),
            ValidateIssuer = false,
            ValidateAudience = false,
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
    }

    [Fact]
    public async Task A_node_killed_mid_flow_loses_nothing_and_another_node_completes_the_login()
    {
        RequireCluster();
        using var browser = new Browser();
        await SignInAsync(browser, C);
        var requestToken = await cluster.ConsumerSite.RequestTokenAsync(cluster.NodeUrls[C], cluster.Consumer, Ct);

        cluster.Kill(C);

        // The browser's next request reaches node A instead: the session (made on C) and the request token (stored by C) are there.
        var landed = await browser.GoAsync(new Uri(Url(A, "sso/authorize/"), "?token=" + Uri.EscapeDataString(requestToken)), Ct);
        Assert.True(landed.Url.GetLeftPart(UriPartial.Path) == cluster.ConsumerSite.Callback.AbsoluteUri,
            $"expected to land on the consumer, landed on {landed.Url} ({(int)landed.Status})\n{cluster.Logs()}");
        var accessToken = SimpleSsoTestConsumer.AccessTokenFrom(landed.Url, cluster.Consumer);

        // The consumer's server-to-server call goes to node B.
        var user = await cluster.ConsumerSite.VerifyAsync(cluster.NodeUrls[B], accessToken, cluster.Consumer, Ct);
        Assert.Equal(cluster.User.UserName, user.Username);
        Assert.Equal(cluster.User.Email, user.Email);
        Assert.True(await IsSignedInAsync(browser, B));

        // One-time means once in the cluster: the same access token presented to another node is refused.
        var replay = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.ConsumerSite.VerifyAsync(cluster.NodeUrls[A], accessToken, cluster.Consumer, Ct));
        Assert.Contains("answered 403", replay.Message, StringComparison.Ordinal);

        // The audit trail written by the dead node is whole: its entries are there and the chain verifies.
        var export = await cluster.RunLatchkeyAsync(["audit", "export", "--since", "1d"], standardInput: null, Ct);
        var events = export.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.TrimStart().StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
        Assert.Contains(events, e => e.ToString().Contains("signin.succeeded", StringComparison.Ordinal) && e.ToString().Contains(cluster.User.UserName, StringComparison.Ordinal));
        await cluster.RunLatchkeyAsync(["audit", "verify"], standardInput: null, Ct);
    }

    private void RequireCluster()
    {
        if (LatchkeyCluster.MissingPrerequisite is { } missing)
        {
            Assert.Skip("The multi-node tests need PostgreSQL and Redis: " + missing);
        }
    }

    private Uri Url(int node, string path) => new(cluster.NodeUrls[node], path);

    private async Task SignInAsync(Browser browser, int node)
    {
        var login = await browser.GoAsync(Url(node, "account/login"), Ct);
        var after = await browser.SignInAsync(login, cluster.User.UserName, cluster.User.Password, Ct);
        Assert.True(Browser.FindLoginForm(after) is null, $"sign-in on node {LatchkeyCluster.Name(node)} failed ({(int)after.Status}) at {after.Url}\n{cluster.Logs()}");
    }

    /// <summary>An authenticated page answers itself when signed in and sends the browser to the login form otherwise.</summary>
    private async Task<bool> IsSignedInAsync(Browser browser, int node)
    {
        var page = await browser.GoAsync(Url(node, "account/consents"), Ct);
        return page.Status == HttpStatusCode.OK && page.Url.AbsolutePath.StartsWith("/account/consents", StringComparison.OrdinalIgnoreCase);
    }

    private async Task<JsonWebKeySet> JwksAsync(int node)
    {
        using var http = new HttpClient();
        return new JsonWebKeySet(await http.GetStringAsync(Url(node, ".well-known/jwks"), Ct));
    }

    private async Task<string> ClientCredentialsTokenAsync(int node, string clientId, string secret)
    {
        var response = await PostFormAsync(node, "connect/token", new() { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret });
        return response.TryGetProperty("access_token", out var token) ? token.GetString()! : throw new InvalidOperationException(response.ToString());
    }

    private async Task<JsonElement> PostFormAsync(int node, string path, Dictionary<string, string> form)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(Url(node, path), new FormUrlEncodedContent(form), Ct);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    private static string? KidOf(string? jwt)
    {
        if (jwt?.Split('.') is not [var header, _, ..])
        {
            return null;
        }

        using var json = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(header));
        return json.RootElement.TryGetProperty("kid", out var kid) ? kid.GetString() : null;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        try
        {
            while (!await condition())
            {
                await Task.Delay(100, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail(failure);
        }
    }

    private static CookieContainer CopyOf(CookieContainer cookies)
    {
        var copy = new CookieContainer();
        foreach (Cookie cookie in cookies.GetAllCookies())
        {
            copy.Add(cookie);
        }

        return copy;
    }

    [GeneratedRegex(@"key (\S+);")]
    private static partial Regex RotatedKid();
}
