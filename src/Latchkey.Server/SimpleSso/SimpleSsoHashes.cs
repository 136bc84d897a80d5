using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// Tokens are stored and looked up only as SHA-256 hashes: a database read yields no live token, and
/// the lookup compares hashes, so timing says nothing about the secret.
/// </summary>
internal static class SimpleSsoHashes
{
    public static string Of(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
