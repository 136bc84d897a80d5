using System.CommandLine;
using System.Globalization;
using Latchkey.Server.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Cli;

/// <summary><c>latchkey audit ...</c>: check and export the tamper-evident audit log.</summary>
internal static class AuditCommands
{
    public static Command Create(CommandContext context) => new("audit", "Check and export the audit log.")
    {
        Verify(context),
        Export(context),
        Archive(context),
    };

    private static Command Verify(CommandContext context)
    {
        var archives = new Option<bool>("--archives") { Description = "Also check the archive files written by retention, and the chain across them." };
        var command = new Command("verify", "Check the whole hash chain; names the first broken entry and exits with 1 if there is one.") { archives };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            if (parsed.GetValue(archives))
            {
                var (files, entries, archiveBreak) = await services.GetRequiredService<AuditArchiver>().VerifyArchivesAsync(ct);
                if (archiveBreak is not null)
                {
                    await context.Console.Error.WriteLineAsync($"latchkey: audit archives BROKEN at entry {archiveBreak.Sequence} ({Kind(archiveBreak.Kind)}): {archiveBreak.Reason}");
                    return ExitCodes.Failed;
                }

                await context.Out.WriteLineAsync($"Archives OK: {files} file(s), {entries} entries.");
            }

            var result = await services.GetRequiredService<AuditVerifier>().VerifyAsync(ct);
            if (result.Break is { } broken)
            {
                await context.Out.WriteLineAsync($"Checked {result.EntriesChecked} entries before the break.");
                await context.Console.Error.WriteLineAsync($"latchkey: audit chain BROKEN at entry {broken.Sequence} ({Kind(broken.Kind)}): {broken.Reason}");
                return ExitCodes.Failed;
            }

            await context.Out.WriteLineAsync(result.HeadSequence is null
                ? "Audit chain OK: no entries."
                : $"Audit chain OK: {result.EntriesChecked} entries ({result.FirstSequence}..{result.HeadSequence}), head {result.HeadHash}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Export(CommandContext context)
    {
        var since = new Option<string>("--since") { Description = "Start time (inclusive): ISO 8601 (2026-11-01, 2026-11-01T12:00:00Z) or a duration ago (24h, 7d).", Required = true };
        var until = new Option<string>("--until") { Description = "End time (exclusive), same forms as --since." };
        var format = new Option<string>("--format") { Description = "Output format.", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl");
        var output = new Option<string>("--output") { Description = "Write to this file instead of standard output." };
        var command = new Command("export", "Write audit entries as JSON lines (one object per entry, with the hash chain fields) for a SIEM.") { since, until, format, output };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var now = (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
            var filter = new AuditFilter
            {
                Since = ParseTime(parsed.GetRequiredValue(since), now, "--since"),
                Until = parsed.GetValue(until) is { } u ? ParseTime(u, now, "--until") : null,
            };
            var entries = services.GetRequiredService<AuditQuery>().StreamAsync(filter, ct);
            if (parsed.GetValue(output) is { } path)
            {
                await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
                await AuditJsonLines.WriteAsync(file, entries, ct);
                return ExitCodes.Ok;
            }

            await using var buffer = new MemoryStream();
            await foreach (var entry in entries)
            {
                buffer.SetLength(0);
                await AuditJsonLines.WriteAsync(buffer, One(entry), ct);
                await context.Out.WriteAsync(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Archive(CommandContext context)
    {
        var olderThan = new Option<string>("--older-than") { Description = "Archive entries older than this duration (e.g. 365d).", Required = true };
        var command = new Command("archive", "Move old entries into a compressed archive file in the data directory now (what Latchkey:Audit:Retention does hourly).") { olderThan };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            if (!DurationParser.TryParse(parsed.GetRequiredValue(olderThan), out var age) || age <= TimeSpan.Zero)
            {
                throw new CommandFailedException("--older-than must be a positive duration such as 365d.");
            }

            var now = (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
            var archiver = services.GetRequiredService<AuditArchiver>();
            var any = false;
            try
            {
                while (await archiver.ArchiveOlderThanAsync(now - age, ct) is { } archived)
                {
                    any = true;
                    await context.Out.WriteLineAsync($"Archived entries {archived.FirstSequence}..{archived.LastSequence} to {archived.FilePath}.");
                }
            }
            catch (AuditChainBrokenException e)
            {
                throw new CommandFailedException("nothing archived: " + e.Message);
            }

            if (!any)
            {
                await context.Out.WriteLineAsync("Nothing to archive.");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async IAsyncEnumerable<AuditEntry> One(AuditEntry entry)
    {
        await Task.CompletedTask;
        yield return entry;
    }

    private static DateTimeOffset ParseTime(string text, DateTimeOffset now, string option)
    {
        if (DurationParser.TryParse(text, out var ago) && !text.Contains('-', StringComparison.Ordinal))
        {
            return now - ago;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        throw new CommandFailedException($"{option} must be an ISO 8601 time (2026-11-01T12:00:00Z) or a duration such as 24h or 7d.");
    }

    private static string Kind(AuditBreakKind kind) => kind switch
    {
        AuditBreakKind.Altered => "altered",
        AuditBreakKind.Missing => "missing",
        AuditBreakKind.Inserted => "inserted",
        AuditBreakKind.WrongLink => "wrong link",
        AuditBreakKind.UnknownKey => "unknown key",
        _ => "archive",
    };
}
