using Latchkey.Server.Scaling;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>Creates, rotates and lists the OIDC keys in the database (used by the server, the scheduler and the CLI).</summary>
public sealed class SigningKeyStore(
    LatchkeyDbContext db,
    IDataProtectionProvider dataProtection,
    TimeProvider time,
    IOptions<SigningKeyOptions> options,
    IOptions<LatchkeyOidcOptions> lifetimes,
    IClusterBus clusterBus,
    Audit.IAuditLog audit)
{
    /// <summary>Signs ID tokens, access tokens and OpenIddict's own tokens; ES256 is published and available.</summary>
    public const string DefaultAlgorithm = SigningKeyAlgorithms.RS256;

    // Tokens are checked with some clock skew; keep keys published a little past the last expiry.
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a retired key must stay published: the longest lifetime of anything it may have signed
    /// (refresh tokens, usually), plus a margin.
    /// </summary>
    public TimeSpan RetentionAfterRetirement
    {
        get
        {
            var o = lifetimes.Value;
            TimeSpan[] all = [o.AccessTokenLifetime, o.IdentityTokenLifetime, o.AuthorizationCodeLifetime, o.RefreshTokenLifetime, o.DeviceCodeLifetime];
            return all.Max() + ExpiryMargin;
        }
    }

    /// <summary>Creates an active key for each algorithm that has none (first start). True when anything was created.</summary>
    public async Task<bool> EnsureKeysAsync(CancellationToken ct)
    {
        // Every start asks; almost always every key is there, and that answer needs no lock.
        if (Missing(await db.Set<SigningKey>().AsNoTracking().ToListAsync(ct), time.GetUtcNow()).Count == 0)
        {
            return false;
        }

        var protector = ReadyProtector();
        var added = new List<SigningKey>();
        await using (var transaction = await SigningKeyLock.BeginAsync(db, ct))
        {
            // Read again under the lock: a node that started at the same moment may have just created them.
            var now = time.GetUtcNow();
            foreach (var algorithm in Missing(await db.Set<SigningKey>().AsNoTracking().ToListAsync(ct), now))
            {
                var key = SigningKeyMaterial.Create(algorithm, protector, now, now);
                db.Add(key);
                added.Add(key);
            }

            if (added.Count == 0)
            {
                return false;
            }

            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        await clusterBus.PublishAsync(ClusterChannels.KeysChanged, "created");
        foreach (var key in added)
        {
            await AuditKeyAsync(Audit.AuditEvents.KeyCreated, key, ct);
        }

        return true;
    }

    /// <summary>
    /// Creates the next key of <paramref name="algorithm"/>: published now, signing from now + KeyPublishLead;
    /// every key of that algorithm that has not retired yet retires at that same moment and stays
    /// published for <see cref="RetentionAfterRetirement"/> after it.
    /// </summary>
    public async Task<SigningKey> RotateAsync(string algorithm, CancellationToken ct)
    {
        if (!SigningKeyAlgorithms.IsSigning(algorithm))
        {
            throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Only RS256 and ES256 keys rotate.");
        }

        var protector = ReadyProtector();
        Rotation rotation;
        await using (var transaction = await SigningKeyLock.BeginAsync(db, ct))
        {
            rotation = await RotateLockedAsync(algorithm, protector, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        await AnnounceAsync(rotation, ct);
        return rotation.Next;
    }

    /// <summary>
    /// Rotates every signing algorithm whose current key started signing at least KeyRotationInterval ago.
    /// Returns the algorithms rotated. Several nodes may run this at the same moment: the lock makes one rotate.
    /// </summary>
    public Task<IReadOnlyList<string>> RotateDueAsync(CancellationToken ct) => RotateDueAsync(options.Value.KeyRotationInterval, ct);

    /// <summary>The same with an explicit interval (zero: nothing is due).</summary>
    public async Task<IReadOnlyList<string>> RotateDueAsync(TimeSpan interval, CancellationToken ct)
    {
        if (interval <= TimeSpan.Zero)
        {
            return [];
        }

        // Asked on every refresh tick; only a due rotation takes the lock.
        if (Due(await db.Set<SigningKey>().AsNoTracking().ToListAsync(ct), interval, time.GetUtcNow()).Count == 0)
        {
            return [];
        }

        var protector = ReadyProtector();
        var rotations = new List<Rotation>();
        await using (var transaction = await SigningKeyLock.BeginAsync(db, ct))
        {
            // Decided again under the lock: another node's schedule may have fired first.
            foreach (var algorithm in Due(await db.Set<SigningKey>().AsNoTracking().ToListAsync(ct), interval, time.GetUtcNow()))
            {
                rotations.Add(await RotateLockedAsync(algorithm, protector, ct));
            }

            if (rotations.Count == 0)
            {
                return [];
            }

            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        foreach (var rotation in rotations)
        {
            await AnnounceAsync(rotation, ct);
        }

        return [.. rotations.Select(r => r.Next.Algorithm)];
    }

    /// <summary>Stages the rotation of <paramref name="algorithm"/> in the context; the caller holds the lock and saves.</summary>
    private async Task<Rotation> RotateLockedAsync(string algorithm, IDataProtector protector, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var switchAt = now + options.Value.KeyPublishLead;
        var expiresAt = switchAt + RetentionAfterRetirement;
        // The encryption key (codes, refresh tokens, device codes) rotates with the default signing key, at the
        // same instant; the old one stays for decryption until everything it protected has expired.
        string[] replaced = algorithm == DefaultAlgorithm ? [algorithm, SigningKeyAlgorithms.A256KW] : [algorithm];
        var current = await db.Set<SigningKey>()
            .Where(k => replaced.Contains(k.Algorithm))
            .ToListAsync(ct);
        var retired = current.Where(k => k.RetiresAt is null || k.RetiresAt > switchAt).ToList();
        foreach (var key in retired)
        {
            key.RetiresAt = switchAt;
            key.ExpiresAt = expiresAt;
        }

        var next = SigningKeyMaterial.Create(algorithm, protector, now, switchAt);
        db.Add(next);
        if (replaced.Length > 1)
        {
            db.Add(SigningKeyMaterial.Create(SigningKeyAlgorithms.A256KW, protector, now, switchAt));
        }

        return new Rotation(next, retired);
    }

    private async Task AnnounceAsync(Rotation rotation, CancellationToken ct)
    {
        // Every node (and, from the CLI, every server) publishes the new key now rather than at its next refresh.
        await clusterBus.PublishAsync(ClusterChannels.KeysChanged, rotation.Next.Kid);
        await AuditKeyAsync(Audit.AuditEvents.KeyRotated, rotation.Next, ct);
        foreach (var key in rotation.Retired)
        {
            await AuditKeyAsync(Audit.AuditEvents.KeyRetired, key, ct);
        }
    }

    private sealed record Rotation(SigningKey Next, IReadOnlyList<SigningKey> Retired);

    /// <summary>Algorithms with no key that is active or still to come (only a key that is not retiring counts).</summary>
    private static List<string> Missing(List<SigningKey> keys, DateTimeOffset now) =>
        [.. new[] { SigningKeyAlgorithms.RS256, SigningKeyAlgorithms.ES256, SigningKeyAlgorithms.A256KW }
            .Where(algorithm => !keys.Any(k => k.Algorithm == algorithm && (k.RetiresAt is null || k.RetiresAt > now)))];

    /// <summary>Signing algorithms whose newest not-retiring key started signing at least <paramref name="interval"/> ago.</summary>
    private static List<string> Due(List<SigningKey> keys, TimeSpan interval, DateTimeOffset now) =>
        [.. new[] { SigningKeyAlgorithms.RS256, SigningKeyAlgorithms.ES256 }.Where(algorithm =>
            // A pending next key (not retiring, activating later) means a rotation is already under way.
            keys.Where(k => k.Algorithm == algorithm && k.RetiresAt is null).MaxBy(k => k.ActivatesAt) is { } newest
            && newest.ActivatesAt + interval <= now)];

    /// <summary>
    /// The key protector, with Data Protection's own key ring made ready first: on a fresh database the first Protect
    /// writes that key ring through another connection, which SQLite's write lock (held while keys change) would block.
    /// </summary>
    private IDataProtector ReadyProtector()
    {
        var protector = SigningKeyMaterial.Protector(dataProtection);
        _ = protector.Protect([0]);
        return protector;
    }

    private Task AuditKeyAsync(string eventName, SigningKey key, CancellationToken ct)
    {
        var details = new Dictionary<string, string>
        {
            ["alg"] = key.Algorithm,
            ["activates_at"] = key.ActivatesAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (key.RetiresAt is { } retires)
        {
            details["retires_at"] = retires.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        }

        return audit.AppendAsync(new Audit.AuditRecord(eventName, Audit.AuditOutcome.Success) { SubjectName = key.Kid, Details = details }, ct);
    }

    /// <summary>Every key row, oldest first (private parts stay encrypted).</summary>
    public async Task<IReadOnlyList<SigningKey>> ListAsync(CancellationToken ct)
    {
        var keys = await db.Set<SigningKey>().AsNoTracking().ToListAsync(ct);
        return keys.OrderBy(k => k.CreatedAt).ThenBy(k => k.Kid, StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes keys that expired more than a day ago (kept a little for <c>keys list</c>).</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken ct)
    {
        var cutOff = time.GetUtcNow() - TimeSpan.FromDays(1);
        var expired = await db.Set<SigningKey>().Where(k => k.ExpiresAt != null).ToListAsync(ct);
        var old = expired.Where(k => k.ExpiresAt < cutOff).ToList();
        if (old.Count == 0)
        {
            return 0;
        }

        db.RemoveRange(old);
        await db.SaveChangesAsync(ct);
        return old.Count;
    }
}
