namespace Latchkey.SimpleSso;

/// <summary>
/// A protocol failure, as data: the HTTP status and the plain-text reason that django-simple-sso answers with.
/// </summary>
/// <param name="Status">HTTP status code to answer with.</param>
/// <param name="Reason">The plain-text body. Never contains secrets or token values.</param>
public sealed record SimpleSsoError(int Status, string Reason)
{
    /// <summary>The <c>X-Services-Public-Key</c> header is missing or empty.</summary>
    public static readonly SimpleSsoError NoPublicKey = new(400, "No public key");

    /// <summary>No consumer has the public key that was sent.</summary>
    public static readonly SimpleSsoError InvalidPublicKey = new(400, "Invalid public key");

    /// <summary>The envelope is malformed or its MAC does not match.</summary>
    public static readonly SimpleSsoError BadSignature = new(400, "Bad Signature");

    /// <summary>The envelope's timestamp lies outside the accepted window.</summary>
    public static readonly SimpleSsoError SignatureExpired = new(400, "Signature expired");

    /// <summary>The payload is signed correctly but is not the JSON the endpoint expects.</summary>
    public static readonly SimpleSsoError FailedToProcess = new(400, "Failed to process the request");

    /// <summary>The authorize request has no <c>token</c> parameter.</summary>
    public static readonly SimpleSsoError TokenMissing = new(400, "Token missing");

    /// <summary>No live token has this value (unknown, belonging to another consumer, or already used).</summary>
    public static readonly SimpleSsoError TokenNotFound = new(403, "Token not found");

    /// <summary>The token's lifetime is over.</summary>
    public static readonly SimpleSsoError TokenTimedOut = new(403, "Token timed out");

    /// <summary>The token was already used once; tokens are one-time.</summary>
    public static readonly SimpleSsoError TokenAlreadyUsed = new(403, "Token already used");

    /// <summary>The signed-in user may not use this consumer.</summary>
    public static readonly SimpleSsoError AccessDenied = new(403, "Access denied");

    /// <summary>The <c>redirect_to</c> target lies outside the consumer's registered origins.</summary>
    public static readonly SimpleSsoError RedirectNotAllowed = new(400, "Redirect target not allowed");

    /// <summary>The request body is larger than the endpoint accepts.</summary>
    public static readonly SimpleSsoError PayloadTooLarge = new(413, "Request body too large");
}
