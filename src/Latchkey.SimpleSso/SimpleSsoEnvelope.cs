using System.Text;
using System.Text.Json;

namespace Latchkey.SimpleSso;

/// <summary>
/// The server-to-server envelope (itsdangerous <c>TimedSerializer</c>): the JSON text itself,
/// not base64, followed by the timestamp and the MAC. Used for request and response bodies of
/// <c>request-token/</c> and <c>verify/</c>.
/// </summary>
public static class SimpleSsoEnvelope
{
    /// <summary>Default cap on body size: the largest legitimate envelope is a few KiB.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Signs a JSON object as an envelope.</summary>
    public static string Seal<T>(T payload, TimedSigner signer, DateTimeOffset now, TimestampEpoch epoch = TimestampEpoch.Unix)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Sign(JsonSerializer.Serialize(payload, SimpleSsoJson.Options), now, epoch);
    }

    /// <summary>
    /// Verifies an envelope and parses its JSON object. The MAC is checked first; freshness
    /// only when <paramref name="window"/> is given (servers check requests, clients do not check responses).
    /// </summary>
    public static SimpleSsoResult<JsonElement> Open(string body, TimedSigner signer, DateTimeOffset now, FreshnessWindow? window)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var unsigned = signer.Unsign(body);
        if (!unsigned.IsSuccess)
        {
            return unsigned.Error;
        }

        if (window?.Check(unsigned.Value.SignedAt, now) is { } expired)
        {
            return expired;
        }

        try
        {
            using var document = JsonDocument.Parse(unsigned.Value.Payload, new JsonDocumentOptions { MaxDepth = 16 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : SimpleSsoError.FailedToProcess;
        }
        catch (JsonException)
        {
            return SimpleSsoError.FailedToProcess;
        }
    }

    /// <summary>Decodes a raw body as strict UTF-8; invalid bytes mean a forged or corrupted envelope.</summary>
    /// <param name="body">The raw request or response body.</param>
    /// <param name="maxBytes">Larger bodies are refused with <see cref="SimpleSsoError.PayloadTooLarge"/>.</param>
    public static SimpleSsoResult<string> DecodeBody(ReadOnlySpan<byte> body, int maxBytes = MaxBodyBytes)
    {
        if (body.Length > maxBytes)
        {
            return SimpleSsoError.PayloadTooLarge;
        }

        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return SimpleSsoError.BadSignature;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
