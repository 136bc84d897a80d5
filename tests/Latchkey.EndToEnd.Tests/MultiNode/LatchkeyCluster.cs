using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Latchkey.EndToEnd.Tests.Infrastructure;

namespace Latchkey.EndToEnd.Tests.MultiNode;

/// <summary>
/// Three Latchkey server processes on 127.0.0.1 (different ports, so one browser cookie reaches all of them,
/// as behind a load balancer) sharing one fresh PostgreSQL database and one Redis, each with its own data
/// directory and the same master key. Needs <c>LATCHKEY_TEST_POSTGRES</c> and <c>LATCHKEY_TEST_REDIS</c>
/// (.ci/run sets both); otherwise nothing starts and the tests skip.
/// </summary>
public sealed class LatchkeyCluster : IAsyncLifetime
{
    public const int NodeCount = 3;
    public const string PostgresVariable = "LATCHKEY_TEST_POSTGRES";
    public const string RedisVariable = "LATCHKEY_TEST_REDIS";

    // Guards against a hung process only; never an expectation about speed.
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan CommandLimit = TimeSpan.FromMinutes(3);

    private readonly ChildProcess?[] _nodes = new ChildProcess?[NodeCount];
    private readonly List<string> _dataDirectories = [];
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly List<string> _logsOfKilledNodes = [];

    public static string? MissingPrerequisite =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresVariable)) ? $"{PostgresVariable} is not set (.ci/run sets it)."
        : string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(RedisVariable)) ? $"{RedisVariable} is not set (.ci/run starts a Redis and sets it)."
        : null;

    public IReadOnlyList<Uri> NodeUrls { get; private set; } = [];

    internal TestUser User { get; } = new("carol", "carol@example.org", "E2e-" + RandomNumberGenerator.GetHexString(24));

    internal ConsumerCredentials Consumer { get; private set; } = null!;

    /// <summary>The consumer's site: answers its callback so the browser has somewhere to land.</summary>
    internal SimpleSsoTestConsumer ConsumerSite { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (MissingPrerequisite is not null)
        {
            return;
        }

        var ct = TestContext.Current.CancellationToken;
        var database = "latchkey_cluster_" + RandomNumberGenerator.GetHexString(12, lowercase: true);
        _environment["Latchkey__Storage__Provider"] = "PostgreSql";
        _environment["Latchkey__Storage__ConnectionString"] = Environment.GetEnvironmentVariable(PostgresVariable)!.TrimEnd(';') + ";Database=" + database;
        // A channel prefix of its own, so other tests on the same Redis never hear this cluster.
        _environment["Latchkey__Redis"] = Environment.GetEnvironmentVariable(RedisVariable) + ",channelPrefix=e2e-" + RandomNumberGenerator.GetHexString(12, lowercase: true) + ":";
        // Every node must open the others' Data Protection keys: one master key, given to all (never on argv).
        _environment["Latchkey__DataProtection__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _environment["Latchkey__Bootstrap__AdminPassword"] = "E2e-admin-" + RandomNumberGenerator.GetHexString(16);
        _environment["Latchkey__Oidc__RequireHttps"] = "false";
        // A rotated key signs at once, so "a token signed with it" exists right after the rotation.
        _environment["Latchkey__Oidc__KeyPublishLead"] = "00:00:00";
        _environment["Latchkey__RateLimits__Login__PerIp__PermitLimit"] = "1000";
        _environment["Latchkey__RateLimits__Login__PerAccount__PermitLimit"] = "1000";

        ConsumerSite = await SimpleSsoTestConsumer.StartAsync(ct);

        // Migrate and create everything before the servers start, as an operator would (from any node).
        await RunLatchkeyAsync(["migrate"], standardInput: null, ct);
        await RunLatchkeyAsync(["users", "add", User.UserName, "--email", User.Email, "--password-stdin"], User.Password + "\n", ct);
        Consumer = KeysFrom(await RunLatchkeyAsync(
            ["consumers", "add", "shop", "--redirect-origin", ConsumerSite.Origin.GetLeftPart(UriPartial.Authority), "--json"], standardInput: null, ct));

        NodeUrls = [.. Enumerable.Range(0, NodeCount).Select(_ => new Uri($"http://127.0.0.1:{FreePort.On(IPAddress.Loopback)}/"))];
        // One issuer for the whole cluster (a load balancer's public URL in production); derived per request,
        // each node would name itself and refuse the others' tokens.
        _environment["Latchkey__Oidc__Issuer"] = NodeUrls[0].AbsoluteUri;
        for (var i = 0; i < NodeCount; i++)
        {
            _nodes[i] = ChildProcess.Start($"node {Name(i)}", LatchkeyStartInfo(["serve"], NodeUrls[i]));
        }

        await Task.WhenAll(Enumerable.Range(0, NodeCount).Select(i => _nodes[i]!.WaitUntilListeningAsync(NodeUrls[i], StartLimit, ct)));
    }

    public static string Name(int node) => ((char)('A' + node)).ToString();

    /// <summary>Ends the node's process the way <c>kill -9</c> does: no shutdown, no flushing, nothing.</summary>
    public void Kill(int node)
    {
        if (_nodes[node] is { } process)
        {
            _nodes[node] = null;
            _logsOfKilledNodes.Add($"===== {process.Name} (killed) =====\n{process.Output}");
            // Process.Kill is SIGKILL on Linux.
            process.Dispose();
        }
    }

    /// <summary>Everything the processes printed, for assertion messages.</summary>
    public string Logs() =>
        string.Join("\n", _logsOfKilledNodes.Concat(_nodes.OfType<ChildProcess>().Select(p => $"===== {p.Name} =====\n{p.Output}")));

    internal async Task<CommandResult> RunLatchkeyAsync(IReadOnlyList<string> arguments, string? standardInput, CancellationToken ct)
    {
        var result = await CommandRunner.RunAsync(LatchkeyStartInfo(arguments, url: null), standardInput, CommandLimit, ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.ToString());
        }

        return result;
    }

    private ProcessStartInfo LatchkeyStartInfo(IReadOnlyList<string> command, Uri? url)
    {
        var dll = RepositoryLayout.ServerDll;
        var startInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)! };
        startInfo.ArgumentList.Add(dll);
        foreach (var argument in command)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Each process (node or CLI run) has a data directory of its own: nothing on local disk is shared.
        var dataDirectory = Directory.CreateTempSubdirectory("latchkey-cluster-").FullName;
        _dataDirectories.Add(dataDirectory);
        startInfo.Environment["Latchkey__DataDirectory"] = dataDirectory;
        foreach (var (key, value) in _environment)
        {
            startInfo.Environment[key] = value;
        }

        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Production";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        if (url is not null)
        {
            startInfo.Environment["ASPNETCORE_URLS"] = url.GetLeftPart(UriPartial.Authority);
        }

        return startInfo;
    }

    internal static JsonElement JsonLine(CommandResult result)
    {
        var json = result.StandardOutput.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith('{'))
            ?? throw new InvalidOperationException($"No JSON line in the output of {result}");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static ConsumerCredentials KeysFrom(CommandResult result)
    {
        var root = JsonLine(result);
        return new ConsumerCredentials(root.GetProperty("name").GetString()!, root.GetProperty("public_key").GetString()!, root.GetProperty("private_key").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < NodeCount; i++)
        {
            Kill(i);
        }

        if (ConsumerSite is not null)
        {
            await ConsumerSite.DisposeAsync();
        }

        foreach (var directory in _dataDirectories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is not worth failing the run for.
            }
        }
    }
}
