using System.Security.Cryptography;
using Latchkey.Server.Storage.KeyRing;

namespace Latchkey.Server.Audit;

/// <summary>
/// HMAC keys for the audit chain, derived (HKDF-SHA256) from the master key that also protects the Data
/// Protection key ring. They are never stored, so someone who can only write to the database cannot
/// compute a valid hash for an altered or inserted entry. Each entry records the id of the master key it
/// was hashed under; after a master key rotation, list the old key in <c>PreviousMasterKeys</c> to keep
/// verifying older entries.
/// </summary>
public sealed class AuditChainKeys(MasterKeyRingProvider masterKeys)
{
    private static readonly byte[] Info = "Latchkey.Audit.Chain.v1"u8.ToArray();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, byte[]> _derived = new(StringComparer.Ordinal);

    /// <summary>The key new entries are hashed with, and its id.</summary>
    public (string KeyId, byte[] Key) Current
    {
        get
        {
            var master = masterKeys.Ring.Current;
            return (master.Id, Derive(master));
        }
    }

    /// <summary>The key with id <paramref name="keyId"/>, or null when that master key is not configured.</summary>
    public byte[]? Find(string keyId) => masterKeys.Ring.Find(keyId) is { } master ? Derive(master) : null;

    private byte[] Derive(MasterKey master)
    {
        lock (_gate)
        {
            if (!_derived.TryGetValue(master.Id, out var key))
            {
                key = HKDF.DeriveKey(HashAlgorithmName.SHA256, master.Material, 32, salt: [], info: Info);
                _derived[master.Id] = key;
            }

            return key;
        }
    }
}
