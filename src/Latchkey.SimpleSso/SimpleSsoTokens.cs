using System.Security.Cryptography;

namespace Latchkey.SimpleSso;

/// <summary>Random tokens and keys in django-simple-sso's format: 64 characters of <c>[A-Za-z0-9]</c> from a CSPRNG.</summary>
public static class SimpleSsoTokens
{
    /// <summary>Length of every request token, access token and key.</summary>
    public const int Length = 64;

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A fresh random token (about 381 bits of entropy).</summary>
    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);

    /// <summary>Whether <paramref name="value"/> has the shape of a token; cheap rejection before any lookup.</summary>
    public static bool IsWellFormed(string? value) =>
        value is { Length: Length } && value.AsSpan().IndexOfAnyExcept(Alphabet) < 0;
}
