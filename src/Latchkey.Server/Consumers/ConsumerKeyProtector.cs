using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Latchkey.Server.Consumers;

/// <summary>
/// Encrypts consumer private keys with Data Protection and remembers what it decrypted. Every signed simple-sso
/// request needs its consumer's private key: the row is still read from the database each time (so a removed or
/// rotated pair is refused at once, whichever process changed it), only the decryption of an unchanged stored
/// value is skipped. Protect uses a fresh IV, so one stored value stands for one key pair; a stored value the key
/// ring cannot open is not remembered and fails again next time.
/// </summary>
public sealed class ConsumerKeyProtector(IDataProtectionProvider dataProtection)
{
    /// <summary>The Data Protection purpose of consumer private keys; changing it orphans every stored key.</summary>
    public const string Purpose = "Latchkey.ConsumerKey.v1";

    // Far above any real number of consumer key pairs; the map is emptied rather than grown past it.
    private const int MaxRemembered = 4096;

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);
    private readonly ConcurrentDictionary<string, string> _decrypted = new(StringComparer.Ordinal);

    public string Protect(string privateKey) => _protector.Protect(privateKey);

    /// <summary>The private key, or null when the Data Protection key ring lost the key that encrypted it.</summary>
    public string? TryUnprotect(string protectedPrivateKey)
    {
        if (_decrypted.TryGetValue(protectedPrivateKey, out var known))
        {
            return known;
        }

        string privateKey;
        try
        {
            privateKey = _protector.Unprotect(protectedPrivateKey);
        }
        catch (CryptographicException)
        {
            // Such a pair can never verify a signature again, which to a client is the same as an unknown key.
            return null;
        }

        if (_decrypted.Count >= MaxRemembered)
        {
            _decrypted.Clear();
        }

        _decrypted[protectedPrivateKey] = privateKey;
        return privateKey;
    }
}
