using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>Generates key material and turns a stored row back into a usable <see cref="SecurityKey"/>.</summary>
internal static class SigningKeyMaterial
{
    /// <summary>The Data Protection purpose of stored private keys; changing it orphans every stored key.</summary>
    public const string ProtectorPurpose = "Latchkey.SigningKey.v1";

    public static IDataProtector Protector(IDataProtectionProvider provider) => provider.CreateProtector(ProtectorPurpose);

    public static SigningKey Create(string algorithm, IDataProtector protector, DateTimeOffset createdAt, DateTimeOffset activatesAt)
    {
        var secret = algorithm switch
        {
            SigningKeyAlgorithms.RS256 => ExportRsa(),
            SigningKeyAlgorithms.ES256 => ExportEcdsa(),
            SigningKeyAlgorithms.A256KW => RandomNumberGenerator.GetBytes(32),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unsupported key algorithm."),
        };

        try
        {
            return new SigningKey
            {
                Id = Guid.NewGuid(),
                Kid = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
                Algorithm = algorithm,
                ProtectedPrivateKey = Convert.ToBase64String(protector.Protect(secret)),
                CreatedAt = createdAt,
                ActivatesAt = activatesAt,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        static byte[] ExportRsa()
        {
            using var rsa = RSA.Create(2048);
            return rsa.ExportPkcs8PrivateKey();
        }

        static byte[] ExportEcdsa()
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return ecdsa.ExportPkcs8PrivateKey();
        }
    }

    /// <summary>Decrypts the row's private key. The returned key owns its RSA/ECDsa instance for the process lifetime.</summary>
    public static SecurityKey Open(SigningKey row, IDataProtector protector)
    {
        var secret = protector.Unprotect(Convert.FromBase64String(row.ProtectedPrivateKey));
        try
        {
            SecurityKey key;
            switch (row.Algorithm)
            {
                case SigningKeyAlgorithms.RS256:
                    var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(secret, out _);
                    key = new RsaSecurityKey(rsa);
                    break;
                case SigningKeyAlgorithms.ES256:
                    var ecdsa = ECDsa.Create();
                    ecdsa.ImportPkcs8PrivateKey(secret, out _);
                    key = new ECDsaSecurityKey(ecdsa);
                    break;
                case SigningKeyAlgorithms.A256KW:
                    key = new SymmetricSecurityKey(secret.ToArray());
                    break;
                default:
                    throw new InvalidOperationException($"Signing key '{row.Kid}' has an unsupported algorithm '{row.Algorithm}'.");
            }

            key.KeyId = row.Kid;
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public static string SecurityAlgorithm(string algorithm) => algorithm switch
    {
        SigningKeyAlgorithms.RS256 => SecurityAlgorithms.RsaSha256,
        SigningKeyAlgorithms.ES256 => SecurityAlgorithms.EcdsaSha256,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not a signing algorithm."),
    };
}
