using System.Net;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>Store-level behaviour, run on SQLite always and on PostgreSQL when <c>LATCHKEY_TEST_POSTGRES</c> is set.</summary>
public sealed class StorageTests
{
    public static TheoryData<LatchkeyTestStorage> Providers => [LatchkeyTestStorage.Sqlite, LatchkeyTestStorage.PostgreSql];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Startup_applies_every_migration_to_a_fresh_database(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        if (storage == LatchkeyTestStorage.Sqlite)
        {
            // An existing, empty file (e.g. touched by an installer) must be migrated, not rejected.
            await File.WriteAllBytesAsync(factory.SqliteFilePath, [], TestContext.Current.CancellationToken);
        }

        _ = factory.Server;

        await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            Assert.IsType(storage == LatchkeyTestStorage.Sqlite ? typeof(SqliteLatchkeyDbContext) : typeof(PostgreSqlLatchkeyDbContext), db);
            var all = db.Database.GetMigrations().ToList();
            Assert.NotEmpty(all);
            Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.Equal(0, await db.Consumers.CountAsync());
            Assert.Equal(1, await db.Users.CountAsync()); // the bootstrapped admin
        });
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_model_has_no_changes_without_a_migration(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);

        await factory.WithScopeAsync(services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            Assert.False(db.Database.HasPendingModelChanges(), "The entity model changed: add a migration for both providers (see src/Latchkey.Server/Storage/Migrations).");
            return Task.CompletedTask;
        });
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Restarting_on_the_same_database_keeps_sessions_and_protected_data(LatchkeyTestStorage storage)
    {
        await using var first = LatchkeyServerFactory.For(storage);
        await first.CreateUserAsync("erin", "erin's password");
        var cookies = new CookieContainer();
        await first.SignInAsync("erin", "erin's password", cookies);
        var protectedValue = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("payload");
        await first.WithScopeAsync(async services => Assert.True(await services.GetRequiredService<LatchkeyDbContext>().DataProtectionKeys.AnyAsync()));

        await using var second = new LatchkeyServerFactory(sharesStorageWith: first);
        using var response = await second.CreateBrowser(cookies: cookies).GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Signed in as erin.", (await HtmlForms.ParseAsync(response)).QuerySelector("#signed-in")?.TextContent.Trim());
        Assert.Equal("payload", second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedValue));
    }

    [Fact]
    public async Task BuildForCommands_validates_and_migrates_without_a_web_server()
    {
        await using var factory = new LatchkeyServerFactory(); // only for its temp directory and cleanup
        using (var host = LatchkeyServer.BuildForCommands([$"--Latchkey:DataDirectory={factory.DataDirectory}"]))
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
            Assert.Equal(0, await db.Users.CountAsync(TestContext.Current.CancellationToken)); // commands do not bootstrap an admin
        }

        Assert.True(File.Exists(factory.SqliteFilePath));
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            LatchkeyServer.BuildForCommands([$"--Latchkey:DataDirectory={factory.DataDirectory}", "--Latchkey:Storage:Provider=Oracle"]));
    }

    [Theory]
    [InlineData(null, 1L)]
    [InlineData("false", 2L)]
    public async Task Every_sqlite_connection_has_the_tuning_pragmas_also_when_reused_from_the_pool_or_opened_anew(string? relaxedSync, long synchronous)
    {
        await using var factory = new LatchkeyServerFactory();
        if (relaxedSync is not null)
        {
            factory.WithSetting("Latchkey:Storage:SqliteRelaxedSync", relaxedSync);
        }

        _ = factory.Server;

        async Task<(long Synchronous, long BusyTimeout)> PragmasAsync() => await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            await db.Database.OpenConnectionAsync();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA synchronous";
            var sync = (long)(await command.ExecuteScalarAsync())!;
            command.CommandText = "PRAGMA busy_timeout";
            return (sync, (long)(await command.ExecuteScalarAsync())!);
        });

        // 1 = NORMAL (the default, relaxed), 2 = FULL.
        Assert.Equal((synchronous, 5000L), await PragmasAsync());
        Assert.Equal((synchronous, 5000L), await PragmasAsync()); // the pooled handle, tuned once
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.Equal((synchronous, 5000L), await PragmasAsync()); // a new handle
    }
}
