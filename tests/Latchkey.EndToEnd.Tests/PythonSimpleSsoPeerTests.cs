using System.Diagnostics;
using System.Text.Json;
using Latchkey.EndToEnd.Tests.Infrastructure;

namespace Latchkey.EndToEnd.Tests;

/// <summary>Against the SQLite deployment shared by the assembly.</summary>
public sealed class PythonSimpleSsoPeerTests(LatchkeyDeployment deployment) : PythonSimpleSsoPeerScenarios(deployment);

/// <summary>Against a server on PostgreSQL; skipped when no PostgreSQL is configured.</summary>
public sealed class PythonSimpleSsoPeerOnPostgreSqlTests(PostgreSqlLatchkeyDeployment deployment)
    : PythonSimpleSsoPeerScenarios(deployment)
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
/// A django-simple-sso style client in Python, signing with the real itsdangerous library, logs in
/// through Latchkey end to end: request-token, the real login form, the redirect back, verify.
/// Both timestamp epochs are used: itsdangerous 2.x (Unix) and 0.24 (2011), which
/// django-simple-sso 1.x pins.
/// </summary>
public abstract class PythonSimpleSsoPeerScenarios(LatchkeyDeployment deployment)
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    /// <summary>Skips the test when this variant's deployment cannot run here.</summary>
    protected virtual void RequireDeployment()
    {
    }

    [Theory]
    [InlineData("unix")]
    [InlineData("legacy")]
    public async Task A_python_simple_sso_client_obtains_the_user_and_cannot_verify_twice(string epoch)
    {
        RequireDeployment();
        var result = await RunPeerAsync(
            deployment.PythonPeer.PrivateKey, deployment.PythonPeerClientUrl, ["--epoch", epoch, "--expect-single-use"]);

        Assert.True(result.ExitCode == 0, result + "\n" + deployment.Logs());
        using var user = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(deployment.User.UserName, user.RootElement.GetProperty("username").GetString());
        Assert.Equal(deployment.User.Email, user.RootElement.GetProperty("email").GetString());
        Assert.False(user.RootElement.GetProperty("is_superuser").GetBoolean());
        Assert.True(user.RootElement.GetProperty("is_active").GetBoolean());
    }

    [Fact]
    public async Task A_python_client_with_the_wrong_private_key_is_refused()
    {
        RequireDeployment();
        var result = await RunPeerAsync("not-the-" + deployment.PythonPeer.PrivateKey, deployment.PythonPeerClientUrl, []);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("request-token/ answered 400", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("Bad Signature", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_python_client_asking_for_an_unregistered_redirect_origin_is_refused()
    {
        RequireDeployment();
        // Correctly signed, but the consumer registered only PythonPeerClientUrl's origin: django-simple-sso
        // would have sent the user's token to any address the key holder names.
        var result = await RunPeerAsync(deployment.PythonPeer.PrivateKey, new Uri("http://127.0.0.9:8001/client/"), []);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("request-token/ answered 400", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_rotated_through_the_cli_take_effect_on_the_running_server()
    {
        RequireDeployment();
        var cancellationToken = TestContext.Current.CancellationToken;
        var origin = new Uri(deployment.PythonPeerClientUrl.GetLeftPart(UriPartial.Authority));
        var original = await deployment.AddConsumerAsync("rotation", origin, cancellationToken);

        var overlapping = await deployment.RotateKeysAsync("rotation", "24h", cancellationToken);

        Assert.NotEqual(original.PublicKey, overlapping.PublicKey);
        var withOriginal = await RunPeerAsync(original, deployment.PythonPeerClientUrl, []);
        Assert.True(withOriginal.ExitCode == 0, "original keys during the overlap: " + withOriginal);
        var withOverlapping = await RunPeerAsync(overlapping, deployment.PythonPeerClientUrl, []);
        Assert.True(withOverlapping.ExitCode == 0, "new keys: " + withOverlapping);

        var current = await deployment.RotateKeysAsync("rotation", "0s", cancellationToken);

        foreach (var retired in new[] { original, overlapping })
        {
            var refused = await RunPeerAsync(retired, deployment.PythonPeerClientUrl, []);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("request-token/ answered 400", refused.StandardError, StringComparison.Ordinal);
            Assert.Contains("Invalid public key", refused.StandardError, StringComparison.Ordinal);
        }

        var withCurrent = await RunPeerAsync(current, deployment.PythonPeerClientUrl, []);
        Assert.True(withCurrent.ExitCode == 0, "current keys: " + withCurrent);
    }

    private Task<CommandResult> RunPeerAsync(string privateKey, Uri clientUrl, IReadOnlyList<string> extraArguments) =>
        RunPeerAsync(deployment.PythonPeer with { PrivateKey = privateKey }, clientUrl, extraArguments);

    private async Task<CommandResult> RunPeerAsync(ConsumerCredentials consumer, Uri clientUrl, IReadOnlyList<string> extraArguments)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await SkipUnlessPythonPeerCanRunAsync(cancellationToken);
        var startInfo = new ProcessStartInfo(Python);
        foreach (var argument in new[]
        {
            RepositoryLayout.PythonPeerScript,
            "--server", deployment.SimpleSsoUrl.ToString(),
            "--client-url", clientUrl.ToString(),
            "--public-key", consumer.PublicKey,
            "--private-key-stdin",
            "--username", deployment.User.UserName,
            "--password-stdin",
        }.Concat(extraArguments))
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Secrets go on stdin so they never show in a process listing or a failure message.
        return await CommandRunner.RunAsync(
            startInfo, consumer.PrivateKey + "\n" + deployment.User.Password + "\n", RunLimit, cancellationToken);
    }

    private static async Task SkipUnlessPythonPeerCanRunAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Python))
        {
            Assert.Skip($"{Python} is not installed.");
        }

        var probe = new ProcessStartInfo(Python);
        probe.ArgumentList.Add("-c");
        probe.ArgumentList.Add("import itsdangerous, requests");
        var result = await CommandRunner.RunAsync(probe, standardInput: null, TimeSpan.FromMinutes(1), cancellationToken);
        if (result.ExitCode != 0)
        {
            Assert.Skip("python3-itsdangerous and python3-requests are needed (.ci/run installs them).");
        }
    }
}
