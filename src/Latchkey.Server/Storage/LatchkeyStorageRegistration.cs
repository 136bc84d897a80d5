using Latchkey.Server.Hosting;
using Latchkey.Server.Storage.KeyRing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage;

/// <summary>
/// Registers the database. Both provider contexts are registered and configured lazily from
/// <see cref="LatchkeyOptions"/>, so configuration added late (tests, command-line switches) is honoured
/// and a bad provider is reported by options validation rather than at registration time.
/// </summary>
public static class LatchkeyStorageRegistration
{
    public static IServiceCollection AddLatchkeyStorage(this IServiceCollection services)
    {
        // Pooled contexts: a request scope leases a ready context (model, options, services wired) instead of building one,
        // which showed up in every request's profile (three per simple-sso flow). Options are built once per process; they
        // depend only on singleton options. EF Core resets a context's state (tracking, open connection, transaction)
        // when the scope returns it.
        services.AddDbContextPool<SqliteLatchkeyDbContext>((sp, options) =>
        {
            var latchkey = sp.GetRequiredService<IOptions<LatchkeyOptions>>().Value;
            options.UseSqlite(ResolveConnectionString(latchkey))
                .AddInterceptors(new SqliteConnectionTuning(latchkey.Storage.SqliteRelaxedSync))
                // SQLite table rebuilds run "PRAGMA foreign_keys = 0" outside the migration's transaction; the rebuild itself
                // is transactional and the PRAGMA lasts only for the connection, so a crash leaves nothing half-applied. The
                // warning would greet every first start; it stays visible at Information.
                .ConfigureWarnings(warnings => warnings.Log((RelationalEventId.NonTransactionalMigrationOperationWarning, LogLevel.Information)));
        });

        services.AddDbContextPool<PostgreSqlLatchkeyDbContext>((sp, options) =>
            options.UseNpgsql(ResolveConnectionString(sp.GetRequiredService<IOptions<LatchkeyOptions>>().Value)));

        services.AddScoped<LatchkeyDbContext>(sp =>
            sp.GetRequiredService<IOptions<LatchkeyOptions>>().Value.Storage.ProviderKind switch
            {
                LatchkeyStorageProvider.PostgreSql => sp.GetRequiredService<PostgreSqlLatchkeyDbContext>(),
                _ => sp.GetRequiredService<SqliteLatchkeyDbContext>(),
            });

        // Keys live in the database so every node shares one key ring and restarts keep cookies valid;
        // they are encrypted there under a master key kept outside the database.
        services.AddDataProtection()
            .SetApplicationName("Latchkey")
            .PersistKeysToDbContext<LatchkeyDbContext>()
            .ProtectKeysWithLatchkeyMasterKey();

        return services;
    }

    /// <summary>The effective connection string: the configured one, or <c>latchkey.db</c> in the data directory for SQLite.</summary>
    public static string ResolveConnectionString(LatchkeyOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Storage.ConnectionString))
        {
            return options.Storage.ConnectionString;
        }

        if (options.Storage.ProviderKind != LatchkeyStorageProvider.Sqlite)
        {
            throw new InvalidOperationException("Latchkey:Storage:ConnectionString is required for PostgreSql.");
        }

        return new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(options.DataDirectoryFullPath, "latchkey.db"),
        }.ToString();
    }
}
