using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Oidc.ClientCredentials;

/// <summary>
/// Writes a client's RFC 9068 access token (<c>typ: at+jwt</c>) with exactly the claims OpenIddict puts in one
/// for the client_credentials grant — <c>iss, exp, iat, scope, jti, sub, oi_prst, client_id</c> — signed
/// with the credential OpenIddict would use (the first of the key ring, RS256 or ES256). Only the signature
/// is expensive; the rest is written straight into one buffer.
/// </summary>
internal static class AccessTokenWriter
{
    private static readonly ConditionalWeakTable<SigningCredentials, byte[]> Headers = new();

    /// <summary>Whether <paramref name="credentials"/> is a key this writer can sign with.</summary>
    public static bool CanSign(SigningCredentials credentials) => credentials switch
    {
        { Algorithm: SecurityAlgorithms.RsaSha256, Key: RsaSecurityKey { Rsa: not null } } => true,
        { Algorithm: SecurityAlgorithms.EcdsaSha256, Key: ECDsaSecurityKey { ECDsa: not null } } => true,
        _ => false,
    };

    public static string Write(SigningCredentials credentials, Uri issuer, string clientId, IReadOnlyList<string> scopes, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        var header = Headers.GetValue(credentials, static c => Base64UrlOf(
            Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["alg"] = c.Algorithm,
                ["kid"] = c.Key.KeyId,
                ["typ"] = "at+jwt",
            }))));

        var payload = new ArrayBufferWriter<byte>(384);
        using (var json = new Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            json.WriteString("iss", issuer.AbsoluteUri);
            json.WriteNumber("exp", expiresAt.ToUnixTimeSeconds());
            json.WriteNumber("iat", issuedAt.ToUnixTimeSeconds());
            if (scopes.Count > 0)
            {
                json.WriteString("scope", string.Join(' ', scopes));
            }

            json.WriteString("jti", Guid.NewGuid().ToString());
            json.WriteString("sub", clientId);
            json.WriteString("oi_prst", clientId);
            json.WriteString("client_id", clientId);
            json.WriteEndObject();
        }

        var signingInputLength = header.Length + 1 + Base64Url.GetEncodedLength(payload.WrittenCount);
        var buffer = ArrayPool<byte>.Shared.Rent(signingInputLength + 1 + Base64Url.GetEncodedLength(512));
        try
        {
            header.CopyTo(buffer, 0);
            buffer[header.Length] = (byte)'.';
            var written = header.Length + 1 + Base64Url.EncodeToUtf8(payload.WrittenSpan, buffer.AsSpan(header.Length + 1));
            Span<byte> signature = stackalloc byte[512];
            var signatureLength = Sign(credentials, buffer.AsSpan(0, written), signature);
            buffer[written++] = (byte)'.';
            written += Base64Url.EncodeToUtf8(signature[..signatureLength], buffer.AsSpan(written));
            return Encoding.ASCII.GetString(buffer, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Sign(SigningCredentials credentials, ReadOnlySpan<byte> input, Span<byte> signature)
    {
        var written = credentials.Key switch
        {
            RsaSecurityKey { Rsa: { } rsa } => rsa.TrySignData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, out var n) ? n : -1,
            ECDsaSecurityKey { ECDsa: { } ecdsa } => ecdsa.TrySignData(input, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var n) ? n : -1,
            _ => -1,
        };
        return written > 0 ? written : throw new CryptographicException("The signing key could not sign the access token.");
    }

    private static byte[] Base64UrlOf(byte[] bytes) => Encoding.ASCII.GetBytes(Base64Url.EncodeToString(bytes));
}
