using Microsoft.EntityFrameworkCore;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Audit;

/// <summary>How an entry breaks the chain.</summary>
public enum AuditBreakKind
{
    /// <summary>The entry's content no longer matches its hash.</summary>
    Altered,

    /// <summary>Sequence numbers are missing: entries were deleted.</summary>
    Missing,

    /// <summary>The entry is not part of the chain: the next entry links past it.</summary>
    Inserted,

    /// <summary>The entry is authentic but does not link to the entry before it.</summary>
    WrongLink,

    /// <summary>The entry was hashed under a master key that is not configured.</summary>
    UnknownKey,

    /// <summary>An archive file or checkpoint does not match.</summary>
    Archive,
}

/// <summary>The first place the chain breaks.</summary>
public sealed record AuditChainBreak(long Sequence, AuditBreakKind Kind, string Reason);

/// <summary>The result of checking the chain.</summary>
public sealed record AuditVerification(long EntriesChecked, long? FirstSequence, long? HeadSequence, string? HeadHash, AuditChainBreak? Break)
{
    public bool IsValid => Break is null;
}

/// <summary>Walks the whole chain in sequence order and reports the first entry that breaks it.</summary>
public sealed class AuditVerifier(LatchkeyDbContext db, AuditChainKeys keys)
{
    private const int PageSize = 1000;

    /// <summary>
    /// Checks every entry in the database. The first one must follow the newest archive checkpoint
    /// (or be entry 1 with the genesis link when nothing was archived).
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken ct)
    {
        var checkpoint = await db.Set<AuditArchiveCheckpoint>().AsNoTracking().OrderByDescending(c => c.LastSequence).FirstOrDefaultAsync(ct);
        if (checkpoint is not null && CheckCheckpoint(checkpoint) is { } broken)
        {
            return new AuditVerification(0, null, null, null, broken);
        }

        var state = new ChainState(checkpoint?.LastSequence ?? 0, checkpoint?.LastHash ?? AuditChain.Genesis);
        return await VerifyEntriesAsync(ReadAllAsync(ct), state, ct);
    }

    /// <summary>Checks a checkpoint's MAC; null when it is authentic.</summary>
    internal AuditChainBreak? CheckCheckpoint(AuditArchiveCheckpoint checkpoint)
    {
        var key = keys.Find(checkpoint.KeyId);
        if (key is null)
        {
            return new AuditChainBreak(checkpoint.LastSequence, AuditBreakKind.UnknownKey, $"archive checkpoint was authenticated with master key {checkpoint.KeyId}, which is not configured (add it to Latchkey:DataProtection:PreviousMasterKeys)");
        }

        return AuditChain.HashesEqual(AuditChain.ComputeMac(checkpoint, key), checkpoint.Mac)
            ? null
            : new AuditChainBreak(checkpoint.LastSequence, AuditBreakKind.Archive, $"archive checkpoint for entries {checkpoint.FirstSequence}..{checkpoint.LastSequence} was altered or forged");
    }

    /// <summary>Verifies a sequence of entries that must continue from <paramref name="state"/>; used for the database and for archive files.</summary>
    internal async Task<AuditVerification> VerifyEntriesAsync(IAsyncEnumerable<AuditEntry> entries, ChainState state, CancellationToken ct)
    {
        long checkedCount = 0;
        long? first = null;
        AuditEntry? current = null;
        await foreach (var next in entries.WithCancellation(ct))
        {
            if (current is not null)
            {
                if (Check(current, next, state) is { } broken)
                {
                    return new AuditVerification(checkedCount, first, state.Sequence, state.Hash, broken);
                }

                state = new ChainState(current.Sequence, current.Hash);
                checkedCount++;
            }

            first ??= next.Sequence;
            current = next;
        }

        if (current is not null)
        {
            if (Check(current, null, state) is { } broken)
            {
                return new AuditVerification(checkedCount, first, state.Sequence, state.Hash, broken);
            }

            state = new ChainState(current.Sequence, current.Hash);
            checkedCount++;
        }

        return new AuditVerification(checkedCount, first, checkedCount == 0 ? null : state.Sequence, checkedCount == 0 ? null : state.Hash, null);
    }

    private AuditChainBreak? Check(AuditEntry entry, AuditEntry? next, ChainState previous)
    {
        var expected = previous.Sequence + 1;
        if (entry.Sequence != expected)
        {
            return entry.Sequence > expected
                ? new AuditChainBreak(expected, AuditBreakKind.Missing, entry.Sequence == expected + 1
                    ? $"entry {expected} is missing (deleted); the chain continues at {entry.Sequence}"
                    : $"entries {expected}..{entry.Sequence - 1} are missing (deleted); the chain continues at {entry.Sequence}")
                : new AuditChainBreak(entry.Sequence, AuditBreakKind.Inserted, $"entry {entry.Sequence} repeats a sequence number");
        }

        var key = keys.Find(entry.KeyId);
        if (key is null)
        {
            return new AuditChainBreak(entry.Sequence, AuditBreakKind.UnknownKey, $"entry {entry.Sequence} was hashed under master key {entry.KeyId}, which is not configured (add it to Latchkey:DataProtection:PreviousMasterKeys)");
        }

        var authentic = AuditChain.HashesEqual(AuditChain.ComputeHash(entry, key), entry.Hash);
        var linked = AuditChain.HashesEqual(entry.PreviousHash, previous.Hash);
        return (authentic, linked) switch
        {
            (true, true) => null,
            (true, false) => new AuditChainBreak(entry.Sequence, AuditBreakKind.WrongLink, $"entry {entry.Sequence} is authentic but does not link to entry {previous.Sequence}: the entry before it was replaced"),
            (false, _) when next is not null && AuditChain.HashesEqual(next.PreviousHash, previous.Hash) && !AuditChain.HashesEqual(next.PreviousHash, entry.Hash) =>
                new AuditChainBreak(entry.Sequence, AuditBreakKind.Inserted, $"entry {entry.Sequence} was inserted: its hash does not verify and the next entry links to entry {previous.Sequence}"),
            (false, true) => new AuditChainBreak(entry.Sequence, AuditBreakKind.Altered, $"entry {entry.Sequence} was altered: its content no longer matches its hash"),
            (false, false) => new AuditChainBreak(entry.Sequence, AuditBreakKind.Altered, $"entry {entry.Sequence} was altered or renumbered: neither its hash nor its link to entry {previous.Sequence} verifies"),
        };
    }

    private async IAsyncEnumerable<AuditEntry> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        long after = long.MinValue;
        while (true)
        {
            var page = await db.Set<AuditEntry>().AsNoTracking()
                .Where(e => e.Sequence > after)
                .OrderBy(e => e.Sequence)
                .Take(PageSize)
                .ToListAsync(ct);
            foreach (var entry in page)
            {
                yield return entry;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1].Sequence;
        }
    }

    /// <summary>The last verified entry: where the next one must continue.</summary>
    internal sealed record ChainState(long Sequence, string Hash);
}
