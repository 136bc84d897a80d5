using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// Opens what <see cref="AesGcmXmlEncryptor"/> wrote, with the current or any previous master key.
/// Data Protection creates decryptors from the type name stored in the XML, passing the application's
/// services, hence the <see cref="IServiceProvider"/> constructor.
/// </summary>
public sealed class AesGcmXmlDecryptor : IXmlDecryptor
{
    private readonly MasterKeyRingProvider _keys;

    public AesGcmXmlDecryptor(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _keys = services.GetService<MasterKeyRingProvider>()
            ?? throw new InvalidOperationException(
                $"{nameof(MasterKeyRingProvider)} is not registered; the key ring was encrypted by Latchkey's master key and only a Latchkey host can open it.");
    }

    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        if (encryptedElement.Name != AesGcmKeyRingFormat.Element)
        {
            throw new CryptographicException($"Expected a <{AesGcmKeyRingFormat.Element}> element, found <{encryptedElement.Name}>.");
        }

        var version = (string?)encryptedElement.Attribute(AesGcmKeyRingFormat.VersionAttribute);
        if (version != AesGcmKeyRingFormat.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new CryptographicException($"Unsupported key ring encryption version '{version}'; this Latchkey reads version {AesGcmKeyRingFormat.Version}.");
        }

        var keyId = (string?)encryptedElement.Attribute(AesGcmKeyRingFormat.MasterKeyIdAttribute) ?? "";
        var ring = _keys.Ring;
        var key = ring.Find(keyId) ?? throw new UnknownMasterKeyException(MasterKeyMessages.Unknown(keyId, ring));

        var nonce = ReadBase64(encryptedElement, AesGcmKeyRingFormat.Nonce);
        var ciphertext = ReadBase64(encryptedElement, AesGcmKeyRingFormat.Ciphertext);
        var tag = ReadBase64(encryptedElement, AesGcmKeyRingFormat.Tag);
        if (nonce.Length != AesGcmKeyRingFormat.NonceSize || tag.Length != AesGcmKeyRingFormat.TagSize)
        {
            throw new CryptographicException("Malformed encrypted key ring element: wrong nonce or tag size.");
        }

        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key.Material, AesGcmKeyRingFormat.TagSize);
            aes.Decrypt(nonce, ciphertext, tag, plaintext, AesGcmKeyRingFormat.AssociatedData(AesGcmKeyRingFormat.Version, keyId));
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CryptographicException(
                $"A key ring element did not authenticate under master key '{keyId}': it was altered in the database.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] ReadBase64(XElement parent, XName name)
    {
        try
        {
            return Convert.FromBase64String((string?)parent.Element(name) ?? throw new CryptographicException($"Malformed encrypted key ring element: no <{name}>."));
        }
        catch (FormatException e)
        {
            throw new CryptographicException($"Malformed encrypted key ring element: <{name}> is not base64.", e);
        }
    }
}

internal static class MasterKeyMessages
{
    public static string Unknown(string keyId, MasterKeyRing ring) =>
        $"The Data Protection key ring in the database was encrypted with master key '{keyId}', which is neither "
        + $"{MasterKeyRingProvider.MasterKeySetting} (current key '{ring.Current.Id}') nor listed in {MasterKeyRingProvider.PreviousMasterKeysSetting}"
        + (ring.Previous.Count == 0 ? "" : $" ({string.Join(", ", ring.Previous.Select(k => $"'{k.Id}'"))})")
        + ". Configure the master key this database was created with (the master.key file of its data directory, or the value "
        + "its nodes were given); until then consumer keys and sign-in cookies cannot be decrypted.";
}
