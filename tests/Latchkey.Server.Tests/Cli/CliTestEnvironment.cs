using Latchkey.Server.Cli;
using Latchkey.Server.Hosting;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Latchkey.Server.Tests.Cli;

/// <summary>What one <c>latchkey</c> invocation returned.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error);

/// <summary>
/// A fresh data directory (real SQLite file) and a way to run <c>latchkey</c> commands against it
/// in-process, with the real <see cref="LatchkeyServer.BuildForCommands"/> and private stdin/stdout/stderr.
/// </summary>
internal sealed class CliTestEnvironment : IDisposable
{
    public const int TestPasswordHashIterations = 1000;

    private readonly string? _postgresDatabase;
    private readonly string[] _storageArgs = [];

    /// <param name="storage">PostgreSQL skips the test unless <c>LATCHKEY_TEST_POSTGRES</c> is set; a fresh database is dropped on dispose.</param>
    public CliTestEnvironment(LatchkeyTestStorage storage = LatchkeyTestStorage.Sqlite)
    {
        if (storage == LatchkeyTestStorage.PostgreSql)
        {
            LatchkeyServerFactory.SkipUnlessPostgresConfigured();
            _postgresDatabase = "latchkey_cli_" + Guid.NewGuid().ToString("N");
            var connection = new NpgsqlConnectionStringBuilder(LatchkeyServerFactory.PostgresBaseConnectionString) { Database = _postgresDatabase, Pooling = false };
            _storageArgs = ["--Latchkey:Storage:Provider=PostgreSql", $"--Latchkey:Storage:ConnectionString={connection}"];
        }
    }

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("latchkey-cli-").FullName;

    /// <summary>Given after the command's own tokens, as an operator would append them.</summary>
    public string[] ConfigurationArgs =>
    [
        $"--Latchkey:DataDirectory={DataDirectory}",
        "--Latchkey:Accounts:PasswordHashIterations",
        TestPasswordHashIterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
        .. _storageArgs,
    ];

    public async Task<CliRun> RunAsync(string[] args, string stdin = "")
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole(new StringReader(stdin), output, error);
        var code = await LatchkeyCli.RunAsync([.. args, .. ConfigurationArgs], console, LatchkeyServer.BuildForCommands, TestContext.Current.CancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public Task<CliRun> RunAsync(params string[] args) => RunAsync(args, stdin: "");

    /// <summary>
    /// The same services the commands use, on the same database, optionally with a fake clock; for
    /// checking what a command did through the real <c>ConsumerRegistry</c> / <c>UserManager</c>.
    /// </summary>
    public IHost BuildServices(TimeProvider? time = null)
    {
        var builder = Host.CreateApplicationBuilder(ConfigurationArgs);
        builder.Services.AddLatchkeyCore();
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        return builder.Build();
    }

    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> action, TimeProvider? time = null)
    {
        using var host = BuildServices(time);
        await using var scope = host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (_postgresDatabase is not null)
        {
            var admin = new NpgsqlConnectionStringBuilder(LatchkeyServerFactory.PostgresBaseConnectionString) { Database = "postgres", Pooling = false };
            using var connection = new NpgsqlConnection(admin.ConnectionString);
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresDatabase}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleaner; no test depends on it.
        }
    }
}
