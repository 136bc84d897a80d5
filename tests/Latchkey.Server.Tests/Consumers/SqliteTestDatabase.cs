using Latchkey.Server.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Server.Tests.Consumers;

/// <summary>
/// A real SQLite file with the Latchkey schema and a service provider around it, for testing the
/// registry and the sweeper below the HTTP layer.
/// </summary>
internal sealed class SqliteTestDatabase : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latchkey-sso-").FullName;

    public SqliteTestDatabase()
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_directory, "test.db"),
            Pooling = false,
        }.ToString();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddDbContext<SqliteLatchkeyDbContext>(options => options.UseSqlite(connectionString));
        services.AddScoped<LatchkeyDbContext>(sp => sp.GetRequiredService<SqliteLatchkeyDbContext>());
        services.AddDataProtection().SetApplicationName("latchkey-tests").UseEphemeralDataProtectionProvider();
        services.AddScoped<Latchkey.Server.Consumers.ConsumerRegistry>();
        Services = services.BuildServiceProvider();

        using var scope = Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>().Database.EnsureCreated();
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));

    public ServiceProvider Services { get; }

    /// <summary>A fresh scope, as one HTTP request would get.</summary>
    public AsyncServiceScope Scope() => Services.CreateAsyncScope();

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the OS is left for the temp cleaner; the test result does not depend on it.
        }
    }
}
