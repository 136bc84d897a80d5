using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>Keys of a consumer as <c>latchkey consumers add --json</c> prints them.</summary>
internal sealed record ConsumerCredentials(string Name, string PublicKey, string PrivateKey);

/// <summary>A user created through the CLI, with the password only the test knows.</summary>
internal sealed record TestUser(string UserName, string Email, string Password);

/// <summary>
/// A small deployment made of real processes: one Latchkey server on 127.0.0.1 with its own data
/// directory, a user and consumers created through the real <c>latchkey</c> command, and two sample
/// sites on 127.0.0.2 and 127.0.0.3 (different hosts, so different cookie jars, like two domains).
/// Shared by every test in the assembly; each test uses its own <see cref="Browser"/>.
/// Storage is the default SQLite file; <see cref="PostgreSqlLatchkeyDeployment"/> runs the same on PostgreSQL.
/// </summary>
public class LatchkeyDeployment : IAsyncLifetime
{
    // Guards against a hung process only; never an expectation about speed.
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan CommandLimit = TimeSpan.FromMinutes(3);

    private readonly List<ChildProcess> _processes = [];
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("latchkey-e2e-").FullName;
    private readonly string? _postgreSqlConnectionString;

    public LatchkeyDeployment()
        : this(postgreSqlConnectionString: null)
    {
    }

    /// <param name="postgreSqlConnectionString">A connection string naming a database that may not exist yet
    /// (migration creates it), or null for the default SQLite file in the data directory.</param>
    protected LatchkeyDeployment(string? postgreSqlConnectionString)
    {
        _postgreSqlConnectionString = postgreSqlConnectionString;
    }

    public Uri ServerUrl { get; private set; } = null!;

    public Uri SimpleSsoUrl => new(ServerUrl, "sso/");

    public Uri AppOneUrl { get; private set; } = null!;

    public Uri AppTwoUrl { get; private set; } = null!;

    internal TestUser User { get; } = new("alice", "alice@example.org", "E2e-" + RandomNumberGenerator.GetHexString(24));

    internal ConsumerCredentials PythonPeer { get; private set; } = null!;

    /// <summary>The SMTP relay the server sends its account mails to (a real SMTP server on 127.0.0.1).</summary>
    public Latchkey.Server.Tests.Infrastructure.SmtpSink Mail { get; private set; } = null!;

    /// <summary>The origin registered for the Python peer; nothing listens there, the peer reads the redirect.</summary>
    public Uri PythonPeerClientUrl { get; } = new("http://127.0.0.4:8001/client/");

    public virtual async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var serverAddress = IPAddress.Loopback;
        var appOneAddress = IPAddress.Parse("127.0.0.2");
        var appTwoAddress = IPAddress.Parse("127.0.0.3");
        ServerUrl = new Uri($"http://{serverAddress}:{FreePort.On(serverAddress)}/");
        AppOneUrl = new Uri($"http://{appOneAddress}:{FreePort.On(appOneAddress)}/");
        AppTwoUrl = new Uri($"http://{appTwoAddress}:{FreePort.On(appTwoAddress)}/");

        Mail = await Latchkey.Server.Tests.Infrastructure.SmtpSink.StartAsync();

        // Migrate and create everything before the server starts, as an operator would.
        await RunLatchkeyAsync(["migrate"], standardInput: null, cancellationToken);
        await RunLatchkeyAsync(
            ["users", "add", User.UserName, "--email", User.Email, "--first-name", "Alice", "--last-name", "Liddell", "--password-stdin"],
            User.Password + "\n",
            cancellationToken);
        var appOne = await AddConsumerAsync("app1", AppOneUrl, cancellationToken);
        var appTwo = await AddConsumerAsync("app2", AppTwoUrl, cancellationToken);
        PythonPeer = await AddConsumerAsync("python-peer", new Uri(PythonPeerClientUrl.GetLeftPart(UriPartial.Authority)), cancellationToken);

        var server = Start("latchkey server", LatchkeyStartInfo(["serve"], ServerUrl));
        var one = Start("sample app1", SampleStartInfo("App One", AppOneUrl, appOne));
        var two = Start("sample app2", SampleStartInfo("App Two", AppTwoUrl, appTwo));
        await Task.WhenAll(
            server.WaitUntilListeningAsync(ServerUrl, StartLimit, cancellationToken),
            one.WaitUntilListeningAsync(AppOneUrl, StartLimit, cancellationToken),
            two.WaitUntilListeningAsync(AppTwoUrl, StartLimit, cancellationToken));
    }

    /// <summary>Everything the processes printed, for assertion messages.</summary>
    public string Logs() =>
        string.Join("\n", _processes.Select(process => $"===== {process.Name} =====\n{process.Output}"));

    internal async Task<CommandResult> RunLatchkeyAsync(IReadOnlyList<string> arguments, string? standardInput, CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync(LatchkeyStartInfo(arguments, url: null), standardInput, CommandLimit, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.ToString());
        }

        return result;
    }

    internal async Task<ConsumerCredentials> AddConsumerAsync(string name, Uri origin, CancellationToken cancellationToken) =>
        KeysFrom(await RunLatchkeyAsync(
            ["consumers", "add", name, "--redirect-origin", origin.GetLeftPart(UriPartial.Authority), "--json"],
            standardInput: null,
            cancellationToken));

    internal async Task<ConsumerCredentials> RotateKeysAsync(string name, string overlap, CancellationToken cancellationToken) =>
        KeysFrom(await RunLatchkeyAsync(
            ["consumers", "rotate-keys", name, "--overlap", overlap, "--json"],
            standardInput: null,
            cancellationToken));

    private static ConsumerCredentials KeysFrom(CommandResult result)
    {
        // stdout carries the JSON line; anything else (logs) is on other lines.
        var json = result.StandardOutput.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith('{'))
            ?? throw new InvalidOperationException($"No JSON line in the output of {result}");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new ConsumerCredentials(
            root.GetProperty("name").GetString()!,
            root.GetProperty("public_key").GetString()!,
            root.GetProperty("private_key").GetString()!);
    }

    private ProcessStartInfo LatchkeyStartInfo(IReadOnlyList<string> command, Uri? url)
    {
        var dll = RepositoryLayout.ServerDll;
        var startInfo = DotnetStartInfo(dll, url);
        foreach (var argument in command)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.ArgumentList.Add($"--Latchkey:DataDirectory={_dataDirectory}");
        // The deployment is plain HTTP on loopback; the OIDC endpoints refuse that unless told.
        startInfo.ArgumentList.Add("--Latchkey:Oidc:RequireHttps=false");
        startInfo.ArgumentList.Add("--Latchkey:Mail:SmtpHost=127.0.0.1");
        startInfo.ArgumentList.Add($"--Latchkey:Mail:SmtpPort={Mail.Port}");
        startInfo.ArgumentList.Add("--Latchkey:Mail:UseTls=None");
        startInfo.ArgumentList.Add("--Latchkey:Mail:From=Latchkey <sso@latchkey.test>");
        if (ServerUrl is not null)
        {
            startInfo.ArgumentList.Add($"--Latchkey:Mail:PublicBaseUrl={ServerUrl}");
        }

        // Every test signs in from 127.0.0.1, and many tests sign the same few users in within a minute; the default
        // budgets are for the internet, not a test run. Lockout (not a rate limit) still stops a guesser here.
        foreach (var policy in new[] { "Login", "Mfa", "PasswordReset", "Token", "Ceremony" })
        {
            startInfo.ArgumentList.Add($"--Latchkey:RateLimits:{policy}:PerIp:PermitLimit=1000000");
            startInfo.ArgumentList.Add($"--Latchkey:RateLimits:{policy}:PerAccount:PermitLimit=1000000");
        }

        if (_postgreSqlConnectionString is not null)
        {
            startInfo.ArgumentList.Add("--Latchkey:Storage:Provider=PostgreSql");
            // Through the environment: a connection string may hold a password.
            startInfo.Environment["Latchkey__Storage__ConnectionString"] = _postgreSqlConnectionString;
        }

        // Configuration the brief gives the server; secrets go through the environment, not argv.
        startInfo.Environment["Latchkey__Bootstrap__AdminPassword"] = "E2e-admin-" + RandomNumberGenerator.GetHexString(16);
        return startInfo;
    }

    private ProcessStartInfo SampleStartInfo(string name, Uri url, ConsumerCredentials consumer)
    {
        var startInfo = DotnetStartInfo(RepositoryLayout.SampleWebAppDll, url);
        startInfo.Environment["Sample__Name"] = name;
        startInfo.Environment["SimpleSso__ServerUrl"] = SimpleSsoUrl.ToString();
        startInfo.Environment["SimpleSso__PublicKey"] = consumer.PublicKey;
        startInfo.Environment["SimpleSso__PrivateKey"] = consumer.PrivateKey;
        return startInfo;
    }

    private static ProcessStartInfo DotnetStartInfo(string dll, Uri? url)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            // The content root (appsettings.json, static assets) is the app's own folder.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        startInfo.ArgumentList.Add(dll);
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Production";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        if (url is not null)
        {
            startInfo.Environment["ASPNETCORE_URLS"] = url.GetLeftPart(UriPartial.Authority);
        }

        return startInfo;
    }

    private ChildProcess Start(string name, ProcessStartInfo startInfo)
    {
        var process = ChildProcess.Start(name, startInfo);
        _processes.Add(process);
        return process;
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        _processes.Clear();
        _ = Mail?.DisposeAsync().AsTask();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing the run for.
        }

        return ValueTask.CompletedTask;
    }
}
