using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>
/// Client secrets are 256-bit random values, so a slow password hash adds nothing but latency per token
/// request: they are stored as HMAC-SHA256 under the server pepper, in the form <c>hmac-sha256:&lt;base64url&gt;</c>.
/// </summary>
public static class ClientSecretHash
{
    public const string Prefix = "hmac-sha256:";

    /// <summary>A new secret: 32 random bytes, base64url (43 characters).</summary>
    public static string NewSecret() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static string Compute(byte[] pepper, string secret) =>
        Prefix + Base64UrlEncoder.Encode(HMACSHA256.HashData(pepper, Encoding.UTF8.GetBytes(secret)));

    /// <summary>Constant-time check of a presented secret against a stored hash; false for any other stored format.</summary>
    public static bool Verify(byte[] pepper, string secret, string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        byte[] expected;
        try
        {
            expected = Base64UrlEncoder.DecodeBytes(stored[Prefix.Length..]);
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = HMACSHA256.HashData(pepper, Encoding.UTF8.GetBytes(secret));
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
