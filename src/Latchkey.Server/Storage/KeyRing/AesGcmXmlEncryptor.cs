using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// Encrypts each key ring secret under the current master key with AES-256-GCM and a fresh random nonce,
/// so reading the database alone no longer yields the keys that protect consumer private keys and cookies.
/// </summary>
public sealed class AesGcmXmlEncryptor(MasterKeyRingProvider keys) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var key = keys.Ring.Current;
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(AesGcmKeyRingFormat.NonceSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[AesGcmKeyRingFormat.TagSize];
        try
        {
            using var aes = new AesGcm(key.Material, AesGcmKeyRingFormat.TagSize);
            aes.Encrypt(nonce, plaintext, ciphertext, tag, AesGcmKeyRingFormat.AssociatedData(AesGcmKeyRingFormat.Version, key.Id));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        var element = new XElement(
            AesGcmKeyRingFormat.Element,
            new XAttribute(AesGcmKeyRingFormat.VersionAttribute, AesGcmKeyRingFormat.Version.ToString(CultureInfo.InvariantCulture)),
            new XAttribute(AesGcmKeyRingFormat.MasterKeyIdAttribute, key.Id),
            new XAttribute(AesGcmKeyRingFormat.AlgorithmAttribute, AesGcmKeyRingFormat.Algorithm),
            new XElement(AesGcmKeyRingFormat.Nonce, Convert.ToBase64String(nonce)),
            new XElement(AesGcmKeyRingFormat.Ciphertext, Convert.ToBase64String(ciphertext)),
            new XElement(AesGcmKeyRingFormat.Tag, Convert.ToBase64String(tag)));
        return new EncryptedXmlInfo(element, typeof(AesGcmXmlDecryptor));
    }
}
