using System.Security.Cryptography;
using System.Text;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>
/// Ten one-time recovery codes per user, stored as hashes. Each has 80 random bits (16 characters of a 32-letter alphabet),
/// so a fast salted hash is as good as a slow one. Using one deletes its row with a single DELETE: of two concurrent uses,
/// exactly one sees a row count of 1.
/// </summary>
public sealed class RecoveryCodes(LatchkeyDbContext db, TimeProvider time)
{
    public const int Count = 10;

    // 32 symbols (5 bits each), Crockford-like: no I, L, O or U, which read like 1, 1, 0 and V; case-insensitive on input.
    private const string Alphabet = "ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    private const int GroupLength = 4;
    private const int Groups = 4;

    /// <summary>Replaces the user's codes with fresh ones and returns them (the only time they exist in plaintext).</summary>
    public async Task<IReadOnlyList<string>> RegenerateAsync(Guid userId, CancellationToken ct)
    {
        var codes = Enumerable.Range(0, Count).Select(_ => NewCode()).ToList();
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Set<RecoveryCode>().Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);
        db.Set<RecoveryCode>().AddRange(codes.Select(code => new RecoveryCode
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            CodeHash = Hash(userId, Normalise(code)!),
            CreatedAt = now,
        }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return codes;
    }

    /// <summary>Consumes a code; the number of codes left, or null when the code is not one of the user's unused codes.</summary>
    public async Task<int?> TryConsumeAsync(Guid userId, string? code, CancellationToken ct)
    {
        var normalised = Normalise(code);
        if (normalised is null)
        {
            return null;
        }

        var hash = Hash(userId, normalised);
        var deleted = await db.Set<RecoveryCode>().Where(c => c.UserId == userId && c.CodeHash == hash).ExecuteDeleteAsync(ct);
        return deleted == 1 ? await CountRemainingAsync(userId, ct) : null;
    }

    public Task<int> CountRemainingAsync(Guid userId, CancellationToken ct) =>
        db.Set<RecoveryCode>().CountAsync(c => c.UserId == userId, ct);

    public Task RemoveAllAsync(Guid userId, CancellationToken ct) =>
        db.Set<RecoveryCode>().Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);

    /// <summary>Upper case, separators dropped; null when the input cannot be a recovery code.</summary>
    public static string? Normalise(string? code)
    {
        if (code is null || code.Length > 64)
        {
            return null;
        }

        var compact = new string([.. code.Where(c => c is not (' ' or '-')).Select(char.ToUpperInvariant)]);
        return compact.Length == GroupLength * Groups && compact.All(c => Alphabet.Contains(c, StringComparison.Ordinal)) ? compact : null;
    }

    private static string NewCode()
    {
        var raw = RandomNumberGenerator.GetString(Alphabet, GroupLength * Groups);
        return string.Join('-', raw.Chunk(GroupLength).Select(chunk => new string(chunk)));
    }

    // Salted with the user id, so equal codes of two users (vanishingly rare) hash apart and one table scan cannot test all users.
    internal static string Hash(Guid userId, string normalisedCode) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId.ToString("N") + ":" + normalisedCode)));
}
