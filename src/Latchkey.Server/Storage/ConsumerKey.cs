namespace Latchkey.Server.Storage;

/// <summary>
/// One public/private key pair of a consumer. Rotation adds a pair and gives the old one an
/// <see cref="ExpiresAt"/>, so both work during the overlap.
/// </summary>
public sealed class ConsumerKey
{
    public Guid Id { get; set; }

    public Guid ConsumerId { get; set; }

    public Consumer? Consumer { get; set; }

    /// <summary>Sent by clients in <c>X-Services-Public-Key</c>; not secret, unique.</summary>
    public required string PublicKey { get; set; }

    /// <summary>The HMAC secret, encrypted with Data Protection (purpose <c>Latchkey.ConsumerKey.v1</c>).</summary>
    public required string ProtectedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When set, the pair stops working at this moment (end of a rotation overlap).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}
