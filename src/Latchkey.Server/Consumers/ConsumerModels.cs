using Latchkey.Server.Storage;

namespace Latchkey.Server.Consumers;

/// <summary>A consumer just created or re-keyed; the private key is shown this once and never again.</summary>
public sealed record CreatedConsumer(string Name, string PublicKey, string PrivateKey);

/// <summary>What may be shown about a consumer: never the private key.</summary>
public sealed record ConsumerSummary(
    Guid Id,
    string Name,
    IReadOnlyList<string> RedirectOrigins,
    bool GrantStaff,
    bool GrantSuperuser,
    DateTimeOffset CreatedAt,
    IReadOnlyList<ConsumerKeySummary> Keys);

/// <summary>One key pair of a consumer, without its secret half.</summary>
public sealed record ConsumerKeySummary(string PublicKey, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A live key pair found by its public key, with the decrypted HMAC secret for this request only.</summary>
public sealed record ResolvedConsumerKey(Consumer Consumer, ConsumerKey Key, string PrivateKey);

/// <summary>A consumer change was refused (bad name, bad origin, duplicate); the message is safe to show an admin.</summary>
public sealed class ConsumerValidationException(string message) : Exception(message);
