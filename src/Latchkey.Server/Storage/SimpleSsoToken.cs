namespace Latchkey.Server.Storage;

/// <summary>
/// One request-token/access-token pair of a simple-sso login. Only SHA-256 hashes of the tokens are
/// stored, so a database read does not yield live tokens. Unlike django-simple-sso, the pair binds to
/// a user once and the access token is consumed at verify; rows are swept after they expire.
/// </summary>
public sealed class SimpleSsoToken
{
    public Guid Id { get; set; }

    public Guid ConsumerId { get; set; }

    public Consumer? Consumer { get; set; }

    /// <summary>The key pair the client signed request-token with; the access token is signed with the same one.</summary>
    public Guid ConsumerKeyId { get; set; }

    /// <summary>Lower-case hex SHA-256 of the request token.</summary>
    public required string RequestTokenHash { get; set; }

    /// <summary>
    /// Lower-case hex SHA-256 of the access token. The access token is created at authorize, when the
    /// user binds, not at request-token time, so no access token exists before there is a user.
    /// </summary>
    public string? AccessTokenHash { get; set; }

    /// <summary>Where authorize sends the browser, checked against the consumer's origins at request-token time.</summary>
    public required string RedirectTo { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The token pair is dead after this moment, bound or not.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set once at authorize; a second authorize of the same request token is refused.</summary>
    public Guid? UserId { get; set; }

    public DateTimeOffset? BoundAt { get; set; }

    /// <summary>The SSO session that bound the token, so verify can name it to a client that receives single logout.</summary>
    public Guid? SessionId { get; set; }

    /// <summary>Set at the first successful verify; the access token is one-time.</summary>
    public DateTimeOffset? ConsumedAt { get; set; }
}
