using System.IO.Compression;
using System.Security.Cryptography;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Audit;

/// <summary>What one retention run archived.</summary>
public sealed record AuditArchiveResult(long FirstSequence, long LastSequence, string FilePath);

/// <summary>
/// Retention: moves entries older than a cutoff into a gzip-compressed JSONL file under
/// <c>&lt;data&gt;/audit-archive/</c> and records a checkpoint (last sequence and hash, file digest,
/// authenticated with the chain key), so the chain stays verifiable across the cut. The range is verified
/// before it is archived: a tampered chain is never laundered into an archive.
/// </summary>
public sealed class AuditArchiver(LatchkeyDbContext db, AuditChainKeys keys, AuditVerifier verifier, IAuditLog audit, TimeProvider time, IOptions<LatchkeyOptions> options)
{
    public const string FolderName = "audit-archive";
    private const int MaxEntriesPerRun = 100_000;

    public string ArchiveDirectory => Path.Combine(options.Value.DataDirectoryFullPath, FolderName);

    /// <summary>Archives entries older than <paramref name="cutoff"/>; null when there was nothing to archive.</summary>
    public async Task<AuditArchiveResult?> ArchiveOlderThanAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        cutoff = cutoff.ToUniversalTime();
        AuditArchiveResult? result;
        await using (var transaction = await AuditChainLock.BeginAsync(db, ct))
        {
            var entries = await db.Set<AuditEntry>().AsNoTracking()
                .OrderBy(e => e.Sequence)
                .Take(MaxEntriesPerRun)
                .ToListAsync(ct);
            // A contiguous prefix only: the chain must stay one piece in the database.
            var prefix = entries.TakeWhile(e => e.Time < cutoff).ToList();
            if (prefix.Count == 0)
            {
                return null;
            }

            var previous = await db.Set<AuditArchiveCheckpoint>().AsNoTracking().OrderByDescending(c => c.LastSequence).FirstOrDefaultAsync(ct);
            if (previous is not null && verifier.CheckCheckpoint(previous) is { } badCheckpoint)
            {
                throw new AuditChainBrokenException(badCheckpoint);
            }

            var check = await verifier.VerifyEntriesAsync(
                prefix.ToAsyncEnumerable(),
                new AuditVerifier.ChainState(previous?.LastSequence ?? 0, previous?.LastHash ?? AuditChain.Genesis),
                ct);
            if (check.Break is { } broken)
            {
                throw new AuditChainBrokenException(broken);
            }

            var first = prefix[0];
            var last = prefix[^1];
            OwnerOnlyFiles.CreateDirectory(ArchiveDirectory);
            var fileName = $"audit-{first.Sequence:D12}-{last.Sequence:D12}.jsonl.gz";
            var path = Path.Combine(ArchiveDirectory, fileName);
            var digest = await WriteArchiveAsync(path, prefix, ct);

            var (keyId, key) = keys.Current;
            var checkpoint = new AuditArchiveCheckpoint
            {
                FirstSequence = first.Sequence,
                LastSequence = last.Sequence,
                LastHash = last.Hash,
                FileName = fileName,
                FileSha256 = digest,
                ArchivedAt = AuditChain.Normalise(time.GetUtcNow()),
                KeyId = keyId,
                Mac = string.Empty,
            };
            checkpoint.Mac = AuditChain.ComputeMac(checkpoint, key);
            db.Add(checkpoint);
            await db.SaveChangesAsync(ct);
            await db.Set<AuditEntry>().Where(e => e.Sequence <= last.Sequence).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
            result = new AuditArchiveResult(first.Sequence, last.Sequence, path);
        }

        await audit.AppendAsync(
            new AuditRecord(AuditEvents.AuditArchived, AuditOutcome.Success)
            {
                ActorName = AuditActors.System,
                Details = new Dictionary<string, string>
                {
                    ["first_sequence"] = result.FirstSequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["last_sequence"] = result.LastSequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["file"] = Path.GetFileName(result.FilePath),
                },
            },
            ct);
        return result;
    }

    /// <summary>Checks every archive file against its checkpoint and the chain across files; null when all is well.</summary>
    public async Task<(int Files, long Entries, AuditChainBreak? Break)> VerifyArchivesAsync(CancellationToken ct)
    {
        var checkpoints = await db.Set<AuditArchiveCheckpoint>().AsNoTracking().OrderBy(c => c.LastSequence).ToListAsync(ct);
        var state = new AuditVerifier.ChainState(0, AuditChain.Genesis);
        long total = 0;
        foreach (var checkpoint in checkpoints)
        {
            if (verifier.CheckCheckpoint(checkpoint) is { } bad)
            {
                return (checkpoints.Count, total, bad);
            }

            var path = Path.Combine(ArchiveDirectory, checkpoint.FileName);
            if (!File.Exists(path))
            {
                return (checkpoints.Count, total, new AuditChainBreak(checkpoint.FirstSequence, AuditBreakKind.Archive, $"archive file {checkpoint.FileName} is missing"));
            }

            await using (var file = File.OpenRead(path))
            {
                if (!AuditChain.HashesEqual(Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct)), checkpoint.FileSha256))
                {
                    return (checkpoints.Count, total, new AuditChainBreak(checkpoint.FirstSequence, AuditBreakKind.Archive, $"archive file {checkpoint.FileName} was modified (digest differs from its checkpoint)"));
                }
            }

            var result = await verifier.VerifyEntriesAsync(ReadArchiveAsync(path, ct), state, ct);
            if (result.Break is { } broken)
            {
                return (checkpoints.Count, total + result.EntriesChecked, broken);
            }

            if (result.HeadSequence != checkpoint.LastSequence || !AuditChain.HashesEqual(result.HeadHash, checkpoint.LastHash))
            {
                return (checkpoints.Count, total + result.EntriesChecked, new AuditChainBreak(checkpoint.LastSequence, AuditBreakKind.Archive, $"archive file {checkpoint.FileName} does not end at its checkpoint's entry {checkpoint.LastSequence}"));
            }

            total += result.EntriesChecked;
            state = new AuditVerifier.ChainState(checkpoint.LastSequence, checkpoint.LastHash);
        }

        return (checkpoints.Count, total, null);
    }

    /// <summary>Entries of one archive file, in order.</summary>
    public static async IAsyncEnumerable<AuditEntry> ReadArchiveAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length > 0)
            {
                yield return AuditJsonLines.Read(line);
            }
        }
    }

    private static async Task<string> WriteArchiveAsync(string path, List<AuditEntry> entries, CancellationToken ct)
    {
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.WriteThrough))
        {
            await using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
            {
                await AuditJsonLines.WriteAsync(gzip, entries.ToAsyncEnumerable(), ct);
            }

            // On disk before the rows are deleted: a crash here leaves a file and the rows, never neither.
            file.Flush(flushToDisk: true);
        }

        OwnerOnlyFiles.Restrict(temporary);
        File.Move(temporary, path, overwrite: true);
        await using var read = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(read, ct));
    }
}

/// <summary>The chain is broken where an operation needs it intact.</summary>
public sealed class AuditChainBrokenException(AuditChainBreak chainBreak)
    : Exception($"The audit chain is broken at entry {chainBreak.Sequence}: {chainBreak.Reason}. Run 'latchkey audit verify'.")
{
    public AuditChainBreak Break { get; } = chainBreak;
}
