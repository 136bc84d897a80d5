namespace Latchkey.Server.Oidc.Keys;

/// <summary>
/// One OIDC token key. Its life: published in JWKS from <see cref="CreatedAt"/>, signs from
/// <see cref="ActivatesAt"/> until <see cref="RetiresAt"/>, stays in JWKS until <see cref="ExpiresAt"/>
/// so every token it signed can still be validated.
/// </summary>
public sealed class SigningKey
{
    public Guid Id { get; set; }

    /// <summary>The JWK <c>kid</c>: random, not derived from the key, unique.</summary>
    public required string Kid { get; set; }

    /// <summary><see cref="SigningKeyAlgorithms.RS256"/>, <see cref="SigningKeyAlgorithms.ES256"/>, or <see cref="SigningKeyAlgorithms.A256KW"/> (the symmetric key OpenIddict encrypts its own tokens with).</summary>
    public required string Algorithm { get; set; }

    /// <summary>The private key as PKCS#8 (raw bytes for A256KW), encrypted with Data Protection (purpose <c>Latchkey.SigningKey.v1</c>).</summary>
    public required string ProtectedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ActivatesAt { get; set; }

    /// <summary>Null while the key is the current one of its algorithm.</summary>
    public DateTimeOffset? RetiresAt { get; set; }

    /// <summary>Null while <see cref="RetiresAt"/> is null; after this the key is gone from JWKS.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    public SigningKeyStatus StatusAt(DateTimeOffset now) => this switch
    {
        { ExpiresAt: { } expires } when expires <= now => SigningKeyStatus.Expired,
        { RetiresAt: { } retires } when retires <= now => SigningKeyStatus.Retiring,
        _ when ActivatesAt > now => SigningKeyStatus.Next,
        _ => SigningKeyStatus.Active,
    };
}

public enum SigningKeyStatus
{
    /// <summary>Published in JWKS, not yet signing.</summary>
    Next,

    /// <summary>Signing (the first active key of the default algorithm signs ID and access tokens).</summary>
    Active,

    /// <summary>No longer signing; still published so tokens it signed validate.</summary>
    Retiring,

    /// <summary>Gone from JWKS.</summary>
    Expired,
}

public static class SigningKeyAlgorithms
{
    public const string RS256 = "RS256";

    public const string ES256 = "ES256";

    /// <summary>Symmetric key for OpenIddict's encrypted tokens (codes, refresh tokens); never published.</summary>
    public const string A256KW = "A256KW";

    public static bool IsSigning(string algorithm) => algorithm is RS256 or ES256;
}
