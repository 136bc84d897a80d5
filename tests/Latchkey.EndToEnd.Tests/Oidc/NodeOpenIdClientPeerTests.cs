using System.Diagnostics;
using System.Text.Json;
using Latchkey.EndToEnd.Tests.Infrastructure;

namespace Latchkey.EndToEnd.Tests.Oidc;

/// <summary>Against the SQLite deployment shared by the assembly.</summary>
public sealed class NodeOpenIdClientPeerTests(LatchkeyDeployment deployment) : NodeOpenIdClientPeerScenarios(deployment);

/// <summary>Against a server on PostgreSQL; skipped when no PostgreSQL is configured.</summary>
public sealed class NodeOpenIdClientPeerOnPostgreSqlTests(PostgreSqlLatchkeyDeployment deployment)
    : NodeOpenIdClientPeerScenarios(deployment)
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
/// npm <c>openid-client</c> 6 (an OpenID-certified relying party library) runs every flow Latchkey
/// offers against the real server process: code + PKCE through the real login and consent pages,
/// ID token validation, userinfo, refresh rotation and reuse detection, introspection, revocation,
/// PAR, a public client, client credentials and the device flow. Clients come from the real CLI.
/// </summary>
public abstract class NodeOpenIdClientPeerScenarios(LatchkeyDeployment deployment)
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);

    /// <summary>Where the peer's clients say they live; nothing listens there, the peer reads the redirect.</summary>
    private static readonly Uri PeerSite = new("http://127.0.0.4:9/");

    /// <summary>Skips the test when this variant's deployment cannot run here.</summary>
    protected virtual void RequireDeployment()
    {
    }

    [Fact]
    public async Task Openid_client_runs_every_flow_against_the_real_server()
    {
        RequireDeployment();
        var node = NodeOrSkip();
        var cancellationToken = TestContext.Current.CancellationToken;
        var webRedirect = new Uri(PeerSite, "node/web/callback");
        var spaRedirect = new Uri(PeerSite, "node/spa/callback");

        // Third-party (consent shown), so the peer's consent handling runs; the others are first-party.
        var web = await deployment.AddClientAsync(
            new OidcClientSpec("node-web", "confidential", ["authorization_code", "refresh_token"], ["openid", "profile", "email", "offline_access"], [webRedirect]),
            cancellationToken);
        var spa = await deployment.AddClientAsync(
            new OidcClientSpec("node-spa", "public", ["authorization_code", "refresh_token"], ["openid", "profile", "email", "offline_access"], [spaRedirect], FirstParty: true),
            cancellationToken);
        var service = await deployment.AddClientAsync(
            new OidcClientSpec("node-svc", "confidential", ["client_credentials"], []),
            cancellationToken);
        var device = await deployment.AddClientAsync(
            new OidcClientSpec("node-tv", "public", ["device_code", "refresh_token"], ["openid", "profile", "email", "offline_access"], FirstParty: true),
            cancellationToken);

        var result = await RunPeerAsync(
            node,
            [
                "--issuer", deployment.ServerUrl.ToString(),
                "--client-id", web.ClientId,
                "--redirect-uri", webRedirect.ToString(),
                "--public-client-id", spa.ClientId,
                "--public-redirect-uri", spaRedirect.ToString(),
                "--service-client-id", service.ClientId,
                "--device-client-id", device.ClientId,
                "--username", deployment.User.UserName,
            ],
            new Dictionary<string, string>
            {
                ["LATCHKEY_PEER_CLIENT_SECRET"] = web.ClientSecret!,
                ["LATCHKEY_PEER_SERVICE_SECRET"] = service.ClientSecret!,
                ["LATCHKEY_PEER_PASSWORD"] = deployment.User.Password,
            },
            cancellationToken);

        Assert.True(result.ExitCode == 0, result + "\n" + deployment.Logs());
        using var summary = JsonDocument.Parse(result.StandardOutput.Trim().Split('\n')[^1]);
        var root = summary.RootElement;
        foreach (var step in new[] { "discovery", "code", "userinfo", "introspection", "refresh", "revocation", "refresh_reuse", "par", "public_code", "client_credentials", "device" })
        {
            Assert.True(root.GetProperty("steps").TryGetProperty(step, out var outcome) && outcome.GetString() == "ok", $"step {step}: {result}");
        }

        var code = root.GetProperty("code");
        Assert.Equal(1, code.GetProperty("consent_pages").GetInt32());
        Assert.Equal(deployment.ServerUrl.ToString(), code.GetProperty("iss_in_authorization_response").GetString());
        Assert.Equal("at+jwt", code.GetProperty("access_token_typ").GetString());
        var claims = code.GetProperty("id_token_claims");
        Assert.Equal(deployment.User.UserName, claims.GetProperty("preferred_username").GetString());
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("sid").GetString()));
        Assert.True(claims.GetProperty("auth_time").GetInt64() > 0);
        Assert.Contains("pwd", claims.GetProperty("amr").EnumerateArray().Select(value => value.GetString()));

        var userInfo = root.GetProperty("userinfo");
        Assert.Equal(claims.GetProperty("sub").GetString(), userInfo.GetProperty("sub").GetString());
        Assert.Equal(deployment.User.Email, userInfo.GetProperty("email").GetString());

        Assert.Equal(0, root.GetProperty("public_code").GetProperty("consent_pages").GetInt32());
        Assert.Equal(claims.GetProperty("sub").GetString(), root.GetProperty("device").GetProperty("sub").GetString());
        var clientCredentials = root.GetProperty("client_credentials");
        Assert.Equal("at+jwt", clientCredentials.GetProperty("access_token_typ").GetString());
        Assert.Equal("invalid_client", clientCredentials.GetProperty("wrong_secret").GetString());

        // The peer never prints secrets or tokens.
        Assert.DoesNotContain(web.ClientSecret!, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(deployment.User.Password, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Openid_client_with_unknown_credentials_fails_at_the_login_form()
    {
        RequireDeployment();
        var node = NodeOrSkip();
        var cancellationToken = TestContext.Current.CancellationToken;
        var redirect = new Uri(PeerSite, "node/wrong/callback");
        var web = await deployment.AddClientAsync(
            new OidcClientSpec("node-wrong", "confidential", ["authorization_code"], ["openid"], [redirect], FirstParty: true),
            cancellationToken);

        var result = await RunPeerAsync(
            node,
            ["--issuer", deployment.ServerUrl.ToString(), "--client-id", web.ClientId, "--redirect-uri", redirect.ToString(),
             // An unknown user, not the shared account: failed attempts count towards its lockout.
             "--username", "nobody-" + Guid.NewGuid().ToString("N")[..8], "--scope", "openid", "--steps", "discovery,code"],
            new Dictionary<string, string>
            {
                ["LATCHKEY_PEER_CLIENT_SECRET"] = web.ClientSecret!,
                ["LATCHKEY_PEER_PASSWORD"] = "wrong-" + Guid.NewGuid().ToString("N"),
            },
            cancellationToken);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("step 'code' failed: the login form came back", result.StandardError, StringComparison.Ordinal);
    }

    private static async Task<CommandResult> RunPeerAsync(
        string node, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> secrets, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(node) { WorkingDirectory = PeerDirectory };
        startInfo.ArgumentList.Add(Path.Combine(PeerDirectory, "oidc-peer.mjs"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Secrets through the environment: never in a process listing or in the failure description.
        foreach (var (name, value) in secrets)
        {
            startInfo.Environment[name] = value;
        }

        return await CommandRunner.RunAsync(startInfo, standardInput: null, RunLimit, cancellationToken);
    }

    private static string PeerDirectory => Path.Combine(RepositoryLayout.Root, "tests", "peers", "node");

    private static string NodeOrSkip()
    {
        var node = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "node"))
            .FirstOrDefault(File.Exists);
        if (node is null)
        {
            Assert.Skip("node is not installed (the Node OIDC peer needs Node 20+).");
        }

        // node is there, so a missing library is a setup error to report, not a reason to skip.
        Assert.True(
            Directory.Exists(Path.Combine(PeerDirectory, "node_modules", "openid-client")),
            $"openid-client is not installed: run `npm ci` in {PeerDirectory} (.ci/run does).");
        return node;
    }
}
