using Latchkey.Server.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage;

/// <summary>Brings the database schema up to date; used at server start and by <c>latchkey migrate</c>.</summary>
public static class LatchkeyDatabase
{
    /// <summary>Creates the data directory if needed and applies all pending migrations of the configured provider.</summary>
    /// <returns>The names of the migrations applied now (empty when the schema was current).</returns>
    public static async Task<IReadOnlyList<string>> MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<LatchkeyOptions>>().Value;
        OwnerOnlyFiles.CreateDirectory(options.DataDirectoryFullPath);

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);

        if (db.Database.IsSqlite())
        {
            // WAL lets readers proceed while a writer commits; the setting is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            RestrictSqliteFiles(db.Database.GetConnectionString(), services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LatchkeyDatabase)));
        }

        return pending;
    }

    /// <summary>
    /// A default umask leaves the new database world-readable. SQLite gives its -wal/-shm files the
    /// database file's mode when it creates them, but ones that already exist are tightened as well.
    /// </summary>
    private static void RestrictSqliteFiles(string? connectionString, ILogger logger)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource)
            || builder.DataSource == ":memory:" || builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var database = Path.GetFullPath(builder.DataSource);
        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
        {
            if (OwnerOnlyFiles.Restrict(file))
            {
                logger.LogInformation("Restricted {Path} to mode 0600: it was readable or writable by other users.", file);
            }
        }
    }
}

/// <summary>Runs <see cref="LatchkeyDatabase.MigrateAsync"/> before the other hosted services and the web server start.</summary>
internal sealed class LatchkeyDatabaseMigrator(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => LatchkeyDatabase.MigrateAsync(services, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
