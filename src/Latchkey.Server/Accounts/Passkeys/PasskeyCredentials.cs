using System.Buffers.Text;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>What the account page shows about one passkey; never the public key or attestation.</summary>
public sealed record PasskeySummary(
    string Id,
    string Name,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    bool IsUserVerified,
    bool IsBackedUp,
    IReadOnlyList<string> Transports);

/// <summary>
/// A user's registered passkeys (Identity's <c>AspNetUserPasskeys</c> rows): count, list, rename, remove, and the last-used
/// stamp. Verification of ceremonies is <see cref="PasskeyCeremonies"/>' job.
/// </summary>
public sealed class PasskeyCredentials(LatchkeyDbContext db, TimeProvider time)
{
    /// <summary>WebAuthn caps credential ids at 1023 bytes.</summary>
    public const int MaxCredentialIdBytes = 1023;

    public Task<int> CountAsync(Guid userId, CancellationToken ct) =>
        db.Set<IdentityUserPasskey<Guid>>().CountAsync(p => p.UserId == userId, ct);

    public async Task<IReadOnlyList<PasskeySummary>> ListAsync(Guid userId, CancellationToken ct)
    {
        var rows = await db.Set<IdentityUserPasskey<Guid>>()
            .AsNoTracking()
            .Where(p => p.UserId == userId)
            .Select(p => new { p.CredentialId, p.Data, LastUsedAt = EF.Property<DateTimeOffset?>(p, IdentityUserPasskeyConfiguration.LastUsedAt) })
            .ToListAsync(ct);
        return rows
            .Select(r => new PasskeySummary(
                EncodeId(r.CredentialId),
                r.Data.Name ?? "Passkey",
                r.Data.CreatedAt,
                r.LastUsedAt,
                r.Data.IsUserVerified,
                r.Data.IsBackedUp,
                r.Data.Transports ?? []))
            .OrderBy(p => p.CreatedAt)
            .ThenBy(p => p.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Renames one of the user's passkeys; false when the user has no passkey with that id.</summary>
    public async Task<bool> RenameAsync(Guid userId, string credentialId, string name, CancellationToken ct)
    {
        if (!TryDecodeId(credentialId, out var id))
        {
            return false;
        }

        var passkey = await db.Set<IdentityUserPasskey<Guid>>().SingleOrDefaultAsync(p => p.UserId == userId && p.CredentialId == id, ct);
        if (passkey is null)
        {
            return false;
        }

        passkey.Data.Name = name;
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Deletes one of the user's passkeys in one statement; false when there was none (already removed, or someone else's).</summary>
    public async Task<bool> RemoveAsync(Guid userId, string credentialId, CancellationToken ct)
    {
        if (!TryDecodeId(credentialId, out var id))
        {
            return false;
        }

        return await db.Set<IdentityUserPasskey<Guid>>().Where(p => p.UserId == userId && p.CredentialId == id).ExecuteDeleteAsync(ct) > 0;
    }

    /// <summary>Name of one of the user's passkeys, for audit records and messages.</summary>
    public async Task<string?> FindNameAsync(Guid userId, string credentialId, CancellationToken ct)
    {
        if (!TryDecodeId(credentialId, out var id))
        {
            return null;
        }

        return await db.Set<IdentityUserPasskey<Guid>>()
            .AsNoTracking()
            .Where(p => p.UserId == userId && p.CredentialId == id)
            .Select(p => p.Data.Name ?? "Passkey")
            .SingleOrDefaultAsync(ct);
    }

    internal Task RecordUseAsync(byte[] credentialId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return db.Set<IdentityUserPasskey<Guid>>()
            .Where(p => p.CredentialId == credentialId)
            .ExecuteUpdateAsync(set => set.SetProperty(p => EF.Property<DateTimeOffset?>(p, IdentityUserPasskeyConfiguration.LastUsedAt), now), ct);
    }

    public static string EncodeId(byte[] credentialId) => Base64Url.EncodeToString(credentialId);

    public static bool TryDecodeId(string? value, out byte[] credentialId)
    {
        credentialId = [];
        if (string.IsNullOrEmpty(value) || value.Length > Base64Url.GetEncodedLength(MaxCredentialIdBytes) || !Base64Url.IsValid(value))
        {
            return false;
        }

        credentialId = Base64Url.DecodeFromChars(value);
        return credentialId.Length is > 0 and <= MaxCredentialIdBytes;
    }
}
