namespace Latchkey.SimpleSso;

/// <summary>A value whose MAC was verified: the payload text and the moment it was signed.</summary>
/// <param name="Payload">The signed payload, exactly as transmitted.</param>
/// <param name="SignedAt">The signing time, normalised to the Unix epoch whichever epoch the sender used.</param>
/// <param name="Epoch">The epoch the sender's timestamp counted from.</param>
public sealed record SignedValue(string Payload, DateTimeOffset SignedAt, TimestampEpoch Epoch);
