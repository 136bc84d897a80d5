using System.Text;
using System.Xml.Linq;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// The XML that replaces a key's secret in the key ring:
/// <c>&lt;aesGcmSecret version="1" masterKeyId="…" algorithm="AES-256-GCM"&gt;&lt;nonce/&gt;&lt;ciphertext/&gt;&lt;tag/&gt;&lt;/aesGcmSecret&gt;</c>,
/// inside the framework's <c>encryptedSecret</c> element. The version and key id are authenticated
/// (associated data), so neither can be edited to steer decryption.
/// </summary>
internal static class AesGcmKeyRingFormat
{
    public const int Version = 1;
    public const string Algorithm = "AES-256-GCM";
    public const int NonceSize = 12;
    public const int TagSize = 16;

    public static readonly XName Element = "aesGcmSecret";
    public static readonly XName VersionAttribute = "version";
    public static readonly XName MasterKeyIdAttribute = "masterKeyId";
    public static readonly XName AlgorithmAttribute = "algorithm";
    public static readonly XName Nonce = "nonce";
    public static readonly XName Ciphertext = "ciphertext";
    public static readonly XName Tag = "tag";

    public static byte[] AssociatedData(int version, string masterKeyId) =>
        Encoding.UTF8.GetBytes($"Latchkey.KeyRing.v{version}\0{masterKeyId}");
}
