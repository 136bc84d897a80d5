using System.Security.Cryptography;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// A 256-bit key-encryption key for the Data Protection key ring. Its <see cref="Id"/> is derived from the
/// key itself, so every node configured with the same key agrees on it without any coordination, and the
/// id written next to each encrypted element tells which key (current or previous) can open it.
/// </summary>
public sealed class MasterKey
{
    public const int SizeInBytes = 32;

    private MasterKey(string id, byte[] material)
    {
        Id = id;
        Material = material;
    }

    /// <summary>16 hex characters; an HMAC of a constant under the key, so it reveals nothing about the key.</summary>
    public string Id { get; }

    internal byte[] Material { get; }

    /// <summary>Creates a key from exactly <see cref="SizeInBytes"/> bytes (copied).</summary>
    public static MasterKey FromBytes(ReadOnlySpan<byte> material)
    {
        if (material.Length != SizeInBytes)
        {
            throw new ArgumentException($"A master key is {SizeInBytes} bytes.", nameof(material));
        }

        var id = Convert.ToHexStringLower(HMACSHA256.HashData(material, "Latchkey.KeyRing.MasterKeyId"u8))[..16];
        return new MasterKey(id, material.ToArray());
    }

    /// <summary>Parses base64 of exactly 32 bytes; null when <paramref name="base64"/> is anything else.</summary>
    public static MasterKey? TryParse(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        Span<byte> buffer = stackalloc byte[SizeInBytes + 3];
        try
        {
            return Convert.TryFromBase64String(base64.Trim(), buffer, out var written) && written == SizeInBytes
                ? FromBytes(buffer[..SizeInBytes])
                : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>A fresh random key, as base64 (the form the file and the configuration hold).</summary>
    public static string NewBase64() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(SizeInBytes));
}

/// <summary>The key that encrypts new key ring elements and the older ones that may still decrypt existing elements.</summary>
public sealed class MasterKeyRing
{
    private readonly Dictionary<string, MasterKey> _byId;

    public MasterKeyRing(MasterKey current, IReadOnlyList<MasterKey> previous)
    {
        Current = current;
        Previous = previous;
        _byId = new Dictionary<string, MasterKey>(StringComparer.Ordinal);
        foreach (var key in previous.Prepend(current))
        {
            _byId.TryAdd(key.Id, key);
        }
    }

    public MasterKey Current { get; }

    public IReadOnlyList<MasterKey> Previous { get; }

    public MasterKey? Find(string id) => _byId.GetValueOrDefault(id);
}
