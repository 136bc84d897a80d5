using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// Brings every stored key ring element under the current master key: elements encrypted under a previous
/// master key are decrypted and encrypted again, and plaintext secrets written before the key ring was
/// encrypted (or by a host without a master key) are encrypted. The Data Protection keys themselves do not
/// change, so everything they protect stays readable; once this has run on a database, the previous master
/// keys can be removed from the configuration.
/// </summary>
public sealed class KeyRingRewrapper(IServiceProvider services, MasterKeyRingProvider keys, ILogger<KeyRingRewrapper> logger)
{
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName RequiresEncryption = DataProtection + "requiresEncryption";
    private static readonly XName EncryptedSecret = DataProtection + "encryptedSecret";

    /// <returns>How many key ring rows were rewritten.</returns>
    public async Task<int> RewrapAsync(CancellationToken cancellationToken)
    {
        var current = keys.Ring.Current;
        var encryptor = new AesGcmXmlEncryptor(keys);
        var decryptor = new AesGcmXmlDecryptor(services);

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var rewritten = 0;
        foreach (var row in await db.DataProtectionKeys.ToListAsync(cancellationToken))
        {
            if (string.IsNullOrEmpty(row.Xml))
            {
                continue;
            }

            var element = XElement.Parse(row.Xml);
            var changed = false;

            foreach (var secret in element.Descendants(AesGcmKeyRingFormat.Element).ToList())
            {
                if ((string?)secret.Attribute(AesGcmKeyRingFormat.MasterKeyIdAttribute) != current.Id)
                {
                    secret.ReplaceWith(encryptor.Encrypt(decryptor.Decrypt(secret)).EncryptedElement);
                    changed = true;
                }
            }

            // The same shape Data Protection writes when an encryptor is configured.
            foreach (var plaintext in element.Descendants().Where(e => (string?)e.Attribute(RequiresEncryption) == "true").ToList())
            {
                var encrypted = encryptor.Encrypt(plaintext);
                plaintext.ReplaceWith(new XElement(
                    EncryptedSecret,
                    new XAttribute("decryptorType", encrypted.DecryptorType.AssemblyQualifiedName!),
                    encrypted.EncryptedElement));
                changed = true;
            }

            if (changed)
            {
                row.Xml = element.ToString(SaveOptions.DisableFormatting);
                rewritten++;
            }
        }

        if (rewritten > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Re-encrypted {Count} Data Protection key(s) under master key {MasterKeyId}.", rewritten, current.Id);
        }

        return rewritten;
    }
}
