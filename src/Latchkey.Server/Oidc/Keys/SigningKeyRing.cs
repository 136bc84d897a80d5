using System.Collections.Immutable;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>
/// The node's in-memory view of the key table, decrypted once per key. When a refresh changes what
/// should be published or which key signs, it fires a change token so OpenIddict rebuilds its
/// options (signing credentials, JWKS, validation keys) without a restart.
/// </summary>
public sealed class SigningKeyRing(IServiceScopeFactory scopes, IDataProtectionProvider dataProtection, TimeProvider time, ILogger<SigningKeyRing> logger)
{
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly Dictionary<string, SecurityKey> _opened = new(StringComparer.Ordinal);
    private CancellationTokenSource _changed = new();
    private volatile SigningKeySnapshot? _snapshot;

    /// <summary>The current view; loads (creating first keys if needed) on first use.</summary>
    public SigningKeySnapshot Current => _snapshot ?? RefreshAsync(CancellationToken.None).GetAwaiter().GetResult();

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    /// <summary>Re-reads the table and re-evaluates which key signs now; fires the change token when anything differs.</summary>
    public async Task<SigningKeySnapshot> RefreshAsync(CancellationToken ct)
    {
        await _refreshLock.WaitAsync(ct);
        try
        {
            List<SigningKey> rows;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var store = scope.ServiceProvider.GetRequiredService<SigningKeyStore>();
                await store.EnsureKeysAsync(ct);
                var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
                rows = await db.Set<SigningKey>().AsNoTracking().ToListAsync(ct);
            }

            var next = Build(rows, time.GetUtcNow());
            var previous = _snapshot;
            if (previous is not null && previous.Fingerprint == next.Fingerprint)
            {
                return previous;
            }

            _snapshot = next;
            if (previous is not null)
            {
                logger.LogInformation("OIDC keys changed: signing with {Kid}; published {Published}.", next.Signing.FirstOrDefault()?.Kid, string.Join(",", next.Signing.Select(k => k.Kid)));
                var old = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
                await old.CancelAsync();
                old.Dispose();
            }

            return next;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private SigningKeySnapshot Build(List<SigningKey> rows, DateTimeOffset now)
    {
        var protector = SigningKeyMaterial.Protector(dataProtection);
        var live = rows.Where(k => k.StatusAt(now) != SigningKeyStatus.Expired).ToList();
        foreach (var gone in _opened.Keys.Where(kid => !live.Any(k => k.Kid == kid)).ToList())
        {
            _opened.Remove(gone);
        }

        LoadedKey Load(SigningKey row)
        {
            if (!_opened.TryGetValue(row.Kid, out var key))
            {
                key = SigningKeyMaterial.Open(row, protector);
                _opened[row.Kid] = key;
            }

            return new LoadedKey(row.Kid, row.Algorithm, row.StatusAt(now), row.ActivatesAt, key);
        }

        // Order matters to OpenIddict: it signs with the first suitable credential. So: the newest active
        // key of the default algorithm, then other active keys, then next keys, then retiring keys.
        var signing = live.Where(k => SigningKeyAlgorithms.IsSigning(k.Algorithm))
            .Select(Load)
            .OrderBy(k => k.Status switch { SigningKeyStatus.Active => 0, SigningKeyStatus.Next => 1, _ => 2 })
            .ThenBy(k => k.Algorithm == SigningKeyStore.DefaultAlgorithm ? 0 : 1)
            .ThenByDescending(k => k.ActivatesAt)
            .ThenBy(k => k.Kid, StringComparer.Ordinal)
            .ToImmutableArray();

        // Newest encryption key first: OpenIddict encrypts with the first, decrypts with any.
        var encryption = live.Where(k => k.Algorithm == SigningKeyAlgorithms.A256KW && k.ActivatesAt <= now)
            .Select(Load)
            .OrderByDescending(k => k.ActivatesAt)
            .ThenBy(k => k.Kid, StringComparer.Ordinal)
            .ToImmutableArray();

        var transitions = rows.SelectMany(k => new[] { k.ActivatesAt, k.RetiresAt, k.ExpiresAt })
            .Where(t => t is { } at && at > now)
            .Select(t => t!.Value)
            .DefaultIfEmpty(DateTimeOffset.MaxValue)
            .Min();

        var fingerprint = string.Join(";", signing.Concat(encryption).Select(k => $"{k.Kid}:{k.Status}"));
        return new SigningKeySnapshot(signing, encryption, transitions, fingerprint);
    }
}

/// <summary>One decrypted key and what it does at the moment the snapshot was taken.</summary>
public sealed record LoadedKey(string Kid, string Algorithm, SigningKeyStatus Status, DateTimeOffset ActivatesAt, SecurityKey Key);

/// <param name="Signing">Published keys in OpenIddict order (the first signs).</param>
/// <param name="Encryption">Keys for OpenIddict's own encrypted tokens (never published).</param>
/// <param name="NextTransition">The next moment a key activates, retires or expires; refresh then.</param>
public sealed record SigningKeySnapshot(
    ImmutableArray<LoadedKey> Signing,
    ImmutableArray<LoadedKey> Encryption,
    DateTimeOffset NextTransition,
    string Fingerprint);
