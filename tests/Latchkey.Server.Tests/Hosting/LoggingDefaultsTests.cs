using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>
/// A published server started from another working directory has no appsettings.json in its content root; it must still
/// log like the shipped appsettings.json says (no SQL at Information), and every source can still override that.
/// </summary>
public sealed class LoggingDefaultsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("latchkey-contentroot-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(bool EfInformation, bool LatchkeyInformation)> LevelsAsync(params string[] extra)
    {
        await using var app = LatchkeyServer.Build(["--contentRoot", _root, $"--Latchkey:DataDirectory={Path.Combine(_root, "data")}", .. extra]);
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        return (
            loggers.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command").IsEnabled(LogLevel.Information),
            loggers.CreateLogger("Latchkey.Server.Audit.AuditWriter").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public async Task Without_appsettings_json_sql_commands_are_not_logged_and_latchkey_s_own_information_is()
    {
        Assert.False(File.Exists(Path.Combine(_root, "appsettings.json")));

        Assert.Equal((false, true), await LevelsAsync());
    }

    [Fact]
    public async Task Configuration_still_overrides_the_defaults()
    {
        Assert.Equal((true, true), await LevelsAsync("--Logging:LogLevel:Microsoft.EntityFrameworkCore=Information"));
        Assert.Equal((false, false), await LevelsAsync("--Logging:LogLevel:Default=Warning"));
    }

    [Fact]
    public async Task The_sqlite_rebuild_pragma_notice_is_information_not_a_warning_on_first_start()
    {
        await using var app = LatchkeyServer.Build(["--contentRoot", _root, $"--Latchkey:DataDirectory={Path.Combine(_root, "data")}"]);
        var options = app.Services.GetRequiredService<DbContextOptions<SqliteLatchkeyDbContext>>();

        var level = options.FindExtension<CoreOptionsExtension>()!.WarningsConfiguration.GetLevel(RelationalEventId.NonTransactionalMigrationOperationWarning);

        Assert.Equal(LogLevel.Information, level);
    }
}
