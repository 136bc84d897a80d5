using Latchkey.Server.Cli;

namespace Latchkey.Server.Tests.Cli;

public sealed class CliBasicsTests : IDisposable
{
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Migrate_applies_migrations_once_and_then_reports_nothing_to_do()
    {
        var first = await _cli.RunAsync("migrate");

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("applied ", first.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_cli.DataDirectory, "latchkey.db")));

        var second = await _cli.RunAsync("migrate");

        Assert.Equal(0, second.ExitCode);
        Assert.DoesNotContain("applied ", second.Output, StringComparison.Ordinal);
        Assert.Contains("up to date", second.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("users")]
    [InlineData("users", "frobnicate")]
    [InlineData("consumers", "show")]
    [InlineData("users", "list", "--no-such-option")]
    public async Task Usage_errors_exit_2_without_touching_the_database(params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("latchkey: ", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_cli.DataDirectory, "latchkey.db")));
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var run = await _cli.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "serve", "migrate", "users", "consumers" })
        {
            Assert.Contains(command, run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Configuration_switches_in_either_form_choose_the_database()
    {
        var other = Directory.CreateTempSubdirectory("latchkey-cli-other-").FullName;
        try
        {
            using var output = new StringWriter();
            var console = new CliConsole(new StringReader(""), output, new StringWriter());
            var code = await LatchkeyCli.RunAsync(
                ["consumers", "--Latchkey:DataDirectory", other, "add", "x", "--redirect-origin", "https://x.example.com"],
                console,
                Latchkey.Server.Hosting.LatchkeyServer.BuildForCommands,
                TestContext.Current.CancellationToken);

            Assert.Equal(0, code);
            Assert.True(File.Exists(Path.Combine(other, "latchkey.db")));
            Assert.False(File.Exists(Path.Combine(_cli.DataDirectory, "latchkey.db")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(other, recursive: true);
        }
    }

    [Theory]
    [InlineData("30m", 30)]
    [InlineData("24h", 24 * 60)]
    [InlineData("7d", 7 * 24 * 60)]
    [InlineData("45s", 0.75)]
    [InlineData("0", 0)]
    [InlineData("1.00:00:00", 24 * 60)]
    [InlineData("02:30:00", 150)]
    public void Durations_parse(string text, double minutes)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMinutes(minutes), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5w")]
    [InlineData("-1h")]
    [InlineData("-01:00:00")]
    [InlineData("h")]
    public void Bad_durations_are_refused(string text) => Assert.False(DurationParser.TryParse(text, out _));
}
