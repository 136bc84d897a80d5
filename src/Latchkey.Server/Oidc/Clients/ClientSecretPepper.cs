using System.Security.Cryptography;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>
/// The server-wide HMAC key for client-secret hashes: 32 random bytes made once, kept in the database
/// under Data Protection so every node shares it, and cached in memory after the first use.
/// </summary>
public sealed class ClientSecretPepper(IServiceScopeFactory scopes, IDataProtectionProvider dataProtection, TimeProvider time)
{
    /// <summary>The Data Protection purpose of the pepper; changing it invalidates every client secret.</summary>
    public const string ProtectorPurpose = "Latchkey.ClientSecretPepper.v1";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private byte[]? _pepper;

    public async ValueTask<byte[]> GetAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _pepper) is { } cached)
        {
            return cached;
        }

        await _lock.WaitAsync(ct);
        try
        {
            if (_pepper is null)
            {
                var pepper = await LoadOrCreateAsync(ct);
                Volatile.Write(ref _pepper, pepper);
            }

            return _pepper!;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<byte[]> LoadOrCreateAsync(CancellationToken ct)
    {
        var protector = dataProtection.CreateProtector(ProtectorPurpose);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var row = await db.Set<ClientSecretPepperRow>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == ClientSecretPepperRow.SingletonId, ct);
        if (row is not null)
        {
            return protector.Unprotect(Convert.FromBase64String(row.ProtectedPepper));
        }

        var pepper = RandomNumberGenerator.GetBytes(32);
        db.Add(new ClientSecretPepperRow
        {
            Id = ClientSecretPepperRow.SingletonId,
            ProtectedPepper = Convert.ToBase64String(protector.Protect(pepper)),
            CreatedAt = time.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(ct);
            return pepper;
        }
        catch (DbUpdateException)
        {
            // Another node created it first (primary key): use theirs.
            await using var retryScope = scopes.CreateAsyncScope();
            var retryDb = retryScope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
            var winner = await retryDb.Set<ClientSecretPepperRow>().AsNoTracking().SingleAsync(r => r.Id == ClientSecretPepperRow.SingletonId, ct);
            return protector.Unprotect(Convert.FromBase64String(winner.ProtectedPepper));
        }
    }
}
