using System.IO.Compression;
using System.Text.Json;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Cli;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Server.Tests.Audit;

/// <summary><c>latchkey audit verify|export|archive</c> against a real SQLite file, and what other commands audit.</summary>
public sealed class AuditCommandsTests : IDisposable
{
    private static readonly DateTimeOffset LongAgo = new(2024, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Commands_are_audited_with_the_cli_as_actor_and_verify_passes()
    {
        Assert.Equal(0, (await _cli.RunAsync("consumers", "add", "wiki", "--redirect-origin", "https://wiki.example")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "erin", "--email", "erin@example.org", "--password-stdin"], stdin: "erin-password-123\n")).ExitCode);

        var verify = await _cli.RunAsync("audit", "verify");

        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("Audit chain OK", verify.Output, StringComparison.Ordinal);
        var entries = await EntriesAsync();
        var consumer = Assert.Single(entries, e => e.Event == AuditEvents.ConsumerCreated);
        Assert.Equal(AuditActors.Cli, consumer.ActorName);
        Assert.Equal("simple-sso:wiki", consumer.App);
        var user = Assert.Single(entries, e => e.Event == AuditEvents.AdminUserCreated);
        Assert.Equal("erin", user.SubjectName);
        Assert.Equal(AuditActors.Cli, user.ActorName);
        Assert.DoesNotContain(entries, e => (e.Details ?? "").Contains("erin-password-123", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_exits_1_and_names_the_altered_entry()
    {
        await AppendAsync(5, TimeProvider.System);
        var target = (await EntriesAsync())[2].Sequence;
        await _cli.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Database
            .ExecuteSqlAsync($"UPDATE \"AuditEntries\" SET \"SubjectName\" = 'someone else' WHERE \"Sequence\" = {target}"));

        var verify = await _cli.RunAsync("audit", "verify");

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains($"BROKEN at entry {target} (altered)", verify.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_writes_json_lines_for_the_time_range_to_stdout_or_a_file()
    {
        var time = new FakeTimeProvider(LongAgo);
        await AppendAsync(3, time);
        time.Advance(TimeSpan.FromDays(10));
        await AppendAsync(2, time);

        var run = await _cli.RunAsync("audit", "export", "--since", "2024-03-05", "--until", "2024-03-20T00:00:00Z", "--format", "jsonl");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var entry = JsonDocument.Parse(line).RootElement;
            Assert.Equal("test.exported", entry.GetProperty("event").GetString());
            Assert.StartsWith("2024-03-11T08:00:00", entry.GetProperty("time").GetString(), StringComparison.Ordinal);
            Assert.Equal(64, entry.GetProperty("hash").GetString()!.Length);
            Assert.Equal("v", entry.GetProperty("details").GetProperty("k").GetString());
        }

        var file = Path.Combine(_cli.DataDirectory, "export.jsonl");
        Assert.Equal(0, (await _cli.RunAsync("audit", "export", "--since", "2024-01-01", "--output", file)).ExitCode);
        Assert.Equal(5, (await File.ReadAllLinesAsync(file, TestContext.Current.CancellationToken)).Count(l => l.Contains("test.exported", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("--since", "last tuesday")]
    [InlineData("--format", "csv")]
    public async Task Export_refuses_bad_options(string option, string value)
    {
        string[] args = option == "--since" ? ["audit", "export", option, value] : ["audit", "export", "--since", "1d", option, value];

        var run = await _cli.RunAsync(args);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(option == "--since" ? "--since" : value, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Archive_moves_old_entries_to_a_compressed_file_and_the_chain_still_verifies_across_it()
    {
        var time = new FakeTimeProvider(LongAgo);
        await AppendAsync(4, time);
        await AppendAsync(2, TimeProvider.System);
        var before = await EntriesAsync();
        var old = before.Where(e => e.Time < LongAgo.AddDays(1)).ToList();

        var archive = await _cli.RunAsync("audit", "archive", "--older-than", "365d");

        Assert.Equal(0, archive.ExitCode);
        var remaining = await EntriesAsync();
        Assert.DoesNotContain(remaining, e => e.Time < LongAgo.AddDays(1));
        var folder = Path.Combine(_cli.DataDirectory, AuditArchiver.FolderName);
        var file = Assert.Single(Directory.GetFiles(folder, "*.jsonl.gz"));
        await using (var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip))
        {
            var lines = (await reader.ReadToEndAsync(TestContext.Current.CancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(old[^1].Sequence, lines.Select(l => AuditJsonLines.Read(l).Sequence).Max());
        }

        Assert.Contains(remaining, e => e.Event == AuditEvents.AuditArchived);
        var verify = await _cli.RunAsync("audit", "verify", "--archives");
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("Archives OK: 1 file(s)", verify.Output, StringComparison.Ordinal);

        // Tampering with the archive file is caught by --archives.
        var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
        bytes[^5] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes, TestContext.Current.CancellationToken);
        var broken = await _cli.RunAsync("audit", "verify", "--archives");
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("was modified", broken.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Archive_refuses_to_archive_a_tampered_range()
    {
        var time = new FakeTimeProvider(LongAgo);
        await AppendAsync(3, time);
        var target = (await EntriesAsync()).First(e => e.Event == "test.exported").Sequence;
        await _cli.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Database
            .ExecuteSqlAsync($"DELETE FROM \"AuditEntries\" WHERE \"Sequence\" = {target}"));

        var archive = await _cli.RunAsync("audit", "archive", "--older-than", "30d");

        Assert.Equal(1, archive.ExitCode);
        Assert.Contains("nothing archived", archive.Error, StringComparison.Ordinal);
        Assert.Contains("missing", archive.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cli.DataDirectory, AuditArchiver.FolderName)) &&
                     Directory.GetFiles(Path.Combine(_cli.DataDirectory, AuditArchiver.FolderName), "*.gz").Length > 0);
    }

    private async Task AppendAsync(int count, TimeProvider time)
    {
        Assert.Equal(0, (await _cli.RunAsync("migrate")).ExitCode);
        await _cli.WithScopeAsync(
            async services =>
            {
                var audit = services.GetRequiredService<IAuditLog>();
                for (var i = 0; i < count; i++)
                {
                    await audit.AppendAsync(new AuditRecord("test.exported", AuditOutcome.Success) { Details = new Dictionary<string, string> { ["k"] = "v" } });
                }

                return 0;
            },
            time);
    }

    private Task<List<AuditEntry>> EntriesAsync() =>
        _cli.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Sequence).ToListAsync());
}
