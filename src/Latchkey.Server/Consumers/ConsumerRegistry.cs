using Latchkey.Server.SimpleSso;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Consumers;

/// <summary>
/// Creates, lists, re-keys and resolves simple-sso consumers. Private keys are stored only in
/// Data Protection form and leave this class only when created, rotated or resolved for signing.
/// </summary>
public sealed class ConsumerRegistry(
    LatchkeyDbContext db,
    IDataProtectionProvider dataProtection,
    TimeProvider time,
    Audit.IAuditLog? audit = null,
    ConsumerKeyProtector? keyProtector = null)
{
    /// <summary>The Data Protection purpose of consumer private keys; changing it orphans every stored key.</summary>
    public const string ProtectorPurpose = ConsumerKeyProtector.Purpose;

    private const int MaxNameLength = 255;

    // Compiled once: every signed simple-sso request resolves its key pair, and EF's per-call query-cache
    // lookup (parameter extraction, expression hashing) cost more than the query itself.
    private static readonly PerModelCompiledQuery<Func<LatchkeyDbContext, string, CancellationToken, Task<ConsumerKey?>>> KeyByPublicKey = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext context, string publicKey, CancellationToken ct) =>
            context.ConsumerKeys.AsNoTracking().Include(k => k.Consumer).SingleOrDefault(k => k.PublicKey == publicKey)));

    private static readonly PerModelCompiledQuery<Func<LatchkeyDbContext, Guid, CancellationToken, Task<ConsumerKey?>>> KeyById = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext context, Guid keyId, CancellationToken ct) =>
            context.ConsumerKeys.AsNoTracking().SingleOrDefault(k => k.Id == keyId)));

    // Hosts share one protector (and its memo of decrypted keys); bare test containers of the registry get their own.
    private readonly ConsumerKeyProtector _keys = keyProtector ?? new ConsumerKeyProtector(dataProtection);

    public async Task<CreatedConsumer> CreateAsync(string name, IReadOnlyList<string> redirectOrigins, CancellationToken ct)
    {
        ValidateName(name);
        var origins = NormalizeOrigins(redirectOrigins);
        if (await db.Consumers.AnyAsync(c => c.Name == name, ct))
        {
            throw Duplicate(name);
        }

        var now = time.GetUtcNow();
        var consumer = new Consumer { Id = Guid.NewGuid(), Name = name, RedirectOrigins = origins, CreatedAt = now };
        var (key, privateKey) = NewKey(consumer.Id, now);
        consumer.Keys.Add(key);
        db.Consumers.Add(consumer);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A concurrent create with the same name won the unique index; anything else is not ours to explain.
            if (await NameTakenAsync(name, ct))
            {
                throw Duplicate(name);
            }

            throw;
        }

        await AuditAsync(Audit.AuditEvents.ConsumerCreated, consumer, new() { ["public_key"] = key.PublicKey, ["redirect_origins"] = string.Join(' ', origins) }, ct);
        return new CreatedConsumer(name, key.PublicKey, privateKey);
    }

    public async Task<IReadOnlyList<ConsumerSummary>> ListAsync(CancellationToken ct)
    {
        var consumers = await db.Consumers.AsNoTracking().Include(c => c.Keys).ToListAsync(ct);
        return consumers.OrderBy(c => c.Name, StringComparer.Ordinal).Select(Summarize).ToList();
    }

    public async Task<ConsumerSummary?> GetAsync(string name, CancellationToken ct)
    {
        var consumer = await db.Consumers.AsNoTracking().Include(c => c.Keys).SingleOrDefaultAsync(c => c.Name == name, ct);
        return consumer is null ? null : Summarize(consumer);
    }

    /// <summary>
    /// Adds a new key pair and lets every live pair run out after <paramref name="overlap"/>, so
    /// clients can be redeployed with the new pair while the old one still works. Zero cuts the old pairs off now.
    /// </summary>
    public async Task<CreatedConsumer?> RotateKeysAsync(string name, TimeSpan overlap, CancellationToken ct)
    {
        if (overlap < TimeSpan.Zero)
        {
            throw new ConsumerValidationException("The overlap cannot be negative.");
        }

        var consumer = await db.Consumers.Include(c => c.Keys).SingleOrDefaultAsync(c => c.Name == name, ct);
        if (consumer is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var cutOff = now + overlap;
        foreach (var old in consumer.Keys.Where(k => k.ExpiresAt is null || k.ExpiresAt > now))
        {
            // A pair already due to expire sooner keeps its earlier end: rotation never extends a key's life.
            if (old.ExpiresAt is null || old.ExpiresAt > cutOff)
            {
                old.ExpiresAt = cutOff;
            }
        }

        var (key, privateKey) = NewKey(consumer.Id, now);
        db.ConsumerKeys.Add(key);
        await db.SaveChangesAsync(ct);
        await AuditAsync(
            Audit.AuditEvents.ConsumerKeysRotated,
            consumer,
            new() { ["public_key"] = key.PublicKey, ["old_keys_expire_at"] = cutOff.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) },
            ct);
        return new CreatedConsumer(consumer.Name, key.PublicKey, privateKey);
    }

    /// <summary>Deletes a consumer with its keys and tokens (the database cascades).</summary>
    public async Task<bool> RemoveAsync(string name, CancellationToken ct)
    {
        var id = await db.Consumers.Where(c => c.Name == name).Select(c => (Guid?)c.Id).SingleOrDefaultAsync(ct);
        if (id is null || await db.Consumers.Where(c => c.Id == id).ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }

        await AppendAuditAsync(new Audit.AuditRecord(Audit.AuditEvents.ConsumerRemoved, Audit.AuditOutcome.Success) { SubjectId = id, SubjectName = name, App = Audit.AuditRecord.SimpleSsoApp(name) }, ct);
        return true;
    }

    public async Task<bool> UpdateAsync(string name, IReadOnlyList<string> redirectOrigins, bool grantStaff, bool grantSuperuser, CancellationToken ct)
    {
        var origins = NormalizeOrigins(redirectOrigins);
        var consumer = await db.Consumers.SingleOrDefaultAsync(c => c.Name == name, ct);
        if (consumer is null)
        {
            return false;
        }

        consumer.RedirectOrigins = origins;
        consumer.GrantStaff = grantStaff;
        consumer.GrantSuperuser = grantSuperuser;
        await db.SaveChangesAsync(ct);
        await AuditAsync(
            Audit.AuditEvents.ConsumerUpdated,
            consumer,
            new()
            {
                ["redirect_origins"] = string.Join(' ', origins),
                ["grant_staff"] = grantStaff ? "true" : "false",
                ["grant_superuser"] = grantSuperuser ? "true" : "false",
            },
            ct);
        return true;
    }

    // Every host built by AddLatchkeyCore has the audit log; bare test containers of the registry may not.
    private Task AppendAuditAsync(Audit.AuditRecord record, CancellationToken ct) => audit?.AppendAsync(record, ct) ?? Task.CompletedTask;

    private Task AuditAsync(string eventName, Consumer consumer, Dictionary<string, string> details, CancellationToken ct) =>
        AppendAuditAsync(
            new Audit.AuditRecord(eventName, Audit.AuditOutcome.Success)
            {
                SubjectId = consumer.Id,
                SubjectName = consumer.Name,
                App = Audit.AuditRecord.SimpleSsoApp(consumer.Name),
                Details = details,
            },
            ct);

    /// <summary>The live key pair with this public key, decrypted for signing; null when unknown or expired.</summary>
    public async Task<ResolvedConsumerKey?> FindByPublicKeyAsync(string publicKey, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(publicKey) || publicKey.Length > SimpleSsoTokens.Length)
        {
            return null;
        }

        var key = await KeyByPublicKey.For(db)(db, publicKey, ct);
        if (key?.Consumer is null || key.ExpiresAt <= time.GetUtcNow())
        {
            return null;
        }

        return TryUnprotect(key) is { } privateKey ? new ResolvedConsumerKey(key.Consumer, key, privateKey) : null;
    }

    private string? TryUnprotect(ConsumerKey key) => _keys.TryUnprotect(key.ProtectedPrivateKey);

    /// <summary>The private key stored as <paramref name="protectedPrivateKey"/>, for callers that read the row themselves; null when it cannot be decrypted.</summary>
    internal string? PrivateKeyOf(string protectedPrivateKey) => _keys.TryUnprotect(protectedPrivateKey);

    /// <summary>
    /// The private key of one pair, expired or not: authorize signs the access token with the pair
    /// the client started the login with. Null when the pair is gone or cannot be decrypted.
    /// </summary>
    internal async Task<string?> FindPrivateKeyAsync(Guid keyId, CancellationToken ct)
    {
        var key = await KeyById.For(db)(db, keyId, ct);
        return key is null ? null : TryUnprotect(key);
    }

    private (ConsumerKey Key, string PrivateKey) NewKey(Guid consumerId, DateTimeOffset now)
    {
        var privateKey = SimpleSsoTokens.New();
        var key = new ConsumerKey
        {
            Id = Guid.NewGuid(),
            ConsumerId = consumerId,
            PublicKey = SimpleSsoTokens.New(),
            ProtectedPrivateKey = _keys.Protect(privateKey),
            CreatedAt = now,
        };
        return (key, privateKey);
    }

    private static ConsumerSummary Summarize(Consumer consumer) => new(
        consumer.Id,
        consumer.Name,
        consumer.RedirectOrigins.ToList(),
        consumer.GrantStaff,
        consumer.GrantSuperuser,
        consumer.CreatedAt,
        consumer.Keys
            .OrderBy(k => k.CreatedAt)
            .Select(k => new ConsumerKeySummary(k.PublicKey, k.CreatedAt, k.ExpiresAt))
            .ToList());

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength)
        {
            throw new ConsumerValidationException($"A consumer name must be 1 to {MaxNameLength} characters.");
        }

        if (name.Trim().Length != name.Length || name.Any(char.IsControl))
        {
            throw new ConsumerValidationException("A consumer name cannot start or end with spaces or contain control characters.");
        }
    }

    private static List<string> NormalizeOrigins(IReadOnlyList<string> redirectOrigins)
    {
        ArgumentNullException.ThrowIfNull(redirectOrigins);
        var origins = new List<string>();
        foreach (var value in redirectOrigins)
        {
            var origin = RedirectOrigin.NormalizeRegistered(value)
                ?? throw new ConsumerValidationException(
                    $"'{value}' is not a redirect origin: use an absolute http or https URL with no path, query, fragment or user info, e.g. https://app.example.com");
            if (!origins.Contains(origin, StringComparer.Ordinal))
            {
                origins.Add(origin);
            }
        }

        return origins.Count > 0
            ? origins
            : throw new ConsumerValidationException("A consumer needs at least one redirect origin.");
    }

    private async Task<bool> NameTakenAsync(string name, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        return await db.Consumers.AnyAsync(c => c.Name == name, ct);
    }

    private static ConsumerValidationException Duplicate(string name) => new($"A consumer named '{name}' already exists.");
}
