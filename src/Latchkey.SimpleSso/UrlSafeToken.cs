using System.Buffers.Text;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Latchkey.SimpleSso;

/// <summary>
/// The browser-borne signed access token (itsdangerous <c>URLSafeTimedSerializer</c>): base64url of
/// compact JSON, or <c>"."</c> + base64url(zlib(JSON)) when that is shorter. The JSON is a string,
/// the raw access token.
/// </summary>
public static class UrlSafeToken
{
    // A legitimate token is 66 bytes of JSON; inflating more than this is an attack.
    private const int MaxInflatedBytes = 4096;

    /// <summary>Signs a string value in the URL-safe form, compressing only when it pays, as itsdangerous does.</summary>
    public static string Seal(string value, TimedSigner signer, DateTimeOffset now, TimestampEpoch epoch = TimestampEpoch.Unix)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, SimpleSsoJson.Options));
        var compressed = Deflate(json);
        var payload = compressed.Length < json.Length - 1
            ? "." + Base64Url.EncodeToString(compressed)
            : Base64Url.EncodeToString(json);
        return signer.Sign(payload, now, epoch);
    }

    /// <summary>
    /// Verifies the MAC and decodes the string inside. Freshness is checked only when a window is
    /// given: django-simple-sso clients check none, ours bound it.
    /// </summary>
    public static SimpleSsoResult<string> Open(string signed, TimedSigner signer, DateTimeOffset now, FreshnessWindow? window)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var unsigned = signer.Unsign(signed);
        if (!unsigned.IsSuccess)
        {
            return unsigned.Error;
        }

        if (window?.Check(unsigned.Value.SignedAt, now) is { } expired)
        {
            return expired;
        }

        var payload = unsigned.Value.Payload;
        var compressed = payload.StartsWith('.');
        if (!TimedSigner.TryDecode(compressed ? payload[1..] : payload, out var bytes))
        {
            return SimpleSsoError.BadSignature;
        }

        if (compressed && !TryInflate(bytes, out bytes))
        {
            return SimpleSsoError.BadSignature;
        }

        try
        {
            return JsonSerializer.Deserialize<string>(bytes, SimpleSsoJson.Options) is { } value
                ? value
                : SimpleSsoError.BadSignature;
        }
        catch (JsonException)
        {
            return SimpleSsoError.BadSignature;
        }
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static bool TryInflate(byte[] data, out byte[] inflated)
    {
        inflated = [];
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
            var buffer = new byte[MaxInflatedBytes + 1];
            var total = 0;
            int read;
            while ((read = zlib.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
                if (total > MaxInflatedBytes)
                {
                    return false;
                }
            }

            inflated = buffer[..total];
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
