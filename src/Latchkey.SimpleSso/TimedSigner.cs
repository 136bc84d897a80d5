using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Latchkey.SimpleSso;

/// <summary>
/// itsdangerous-compatible timed signer: HMAC-SHA1 over <c>payload.timestamp</c> with the key
/// <c>SHA1("itsdangerous" + "signer" + secret)</c>, URL-safe base64 without padding.
/// </summary>
/// <remarks>
/// The MAC is checked in constant time before anything in the value is trusted. Freshness is a
/// separate decision (<see cref="FreshnessWindow"/>) because the protocol checks it in some places only.
/// </remarks>
public sealed class TimedSigner
{
    /// <summary>Unix time of 2011-01-01T00:00:00Z, the epoch of itsdangerous 0.24.</summary>
    public const long LegacyEpochOffset = 1293840000;

    private const int MacLength = 20;
    private static readonly byte[] KeyDerivationPrefix = "itsdangerous"u8.ToArray().Concat("signer"u8.ToArray()).ToArray();

    private readonly byte[] _key;

    /// <summary>Creates a signer for one shared secret (a consumer's private key).</summary>
    /// <param name="secret">The private key, used as UTF-8 bytes.</param>
    public TimedSigner(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        _key = SHA1.HashData([.. KeyDerivationPrefix, .. secretBytes]);
    }

    /// <summary>Signs <paramref name="payload"/> as <c>payload.b64(ts).b64(mac)</c>.</summary>
    /// <param name="payload">The payload text; it may contain dots.</param>
    /// <param name="now">The signing time; sub-second parts are dropped as itsdangerous does.</param>
    /// <param name="epoch">Which epoch the timestamp counts from. Unix is accepted by every Python server.</param>
    public string Sign(string payload, DateTimeOffset now, TimestampEpoch epoch = TimestampEpoch.Unix)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var seconds = now.ToUnixTimeSeconds();
        if (epoch == TimestampEpoch.Legacy2011)
        {
            seconds -= LegacyEpochOffset;
        }

        var head = payload + "." + EncodeTimestamp(seconds);
        return head + "." + Base64Url.EncodeToString(Mac(head));
    }

    /// <summary>
    /// Checks the MAC of a signed value and returns its payload and timestamp, or
    /// <see cref="SimpleSsoError.BadSignature"/> for anything malformed or forged.
    /// </summary>
    public SimpleSsoResult<SignedValue> Unsign(string signed)
    {
        if (string.IsNullOrEmpty(signed))
        {
            return SimpleSsoError.BadSignature;
        }

        var lastDot = signed.LastIndexOf('.');
        if (lastDot <= 0)
        {
            return SimpleSsoError.BadSignature;
        }

        var head = signed[..lastDot];
        var signature = signed[(lastDot + 1)..];
        if (!TryDecode(signature, out var presentedMac) || presentedMac.Length != MacLength)
        {
            return SimpleSsoError.BadSignature;
        }

        if (!CryptographicOperations.FixedTimeEquals(presentedMac, Mac(head)))
        {
            return SimpleSsoError.BadSignature;
        }

        var timestampDot = head.LastIndexOf('.');
        if (timestampDot < 0 || !TryDecodeTimestamp(head[(timestampDot + 1)..], out var rawSeconds))
        {
            return SimpleSsoError.BadSignature;
        }

        // A 0.24 sender counts from 2011; its values are far below any Unix time since then.
        var epoch = rawSeconds < LegacyEpochOffset ? TimestampEpoch.Legacy2011 : TimestampEpoch.Unix;
        var unixSeconds = epoch == TimestampEpoch.Legacy2011 ? rawSeconds + LegacyEpochOffset : rawSeconds;
        if (unixSeconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return SimpleSsoError.BadSignature;
        }

        return new SignedValue(head[..timestampDot], DateTimeOffset.FromUnixTimeSeconds(unixSeconds), epoch);
    }

    private byte[] Mac(string head) => HMACSHA1.HashData(_key, Encoding.UTF8.GetBytes(head));

    private static string EncodeTimestamp(long seconds)
    {
        if (seconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), "itsdangerous timestamps cannot be negative.");
        }

        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, seconds);
        var start = 0;
        while (start < 7 && buffer[start] == 0)
        {
            start++;
        }

        return Base64Url.EncodeToString(buffer[start..]);
    }

    private static bool TryDecodeTimestamp(string text, out long seconds)
    {
        seconds = 0;
        if (!TryDecode(text, out var bytes) || bytes.Length is 0 or > 8)
        {
            return false;
        }

        foreach (var b in bytes)
        {
            seconds = (seconds << 8) | b;
        }

        return seconds >= 0;
    }

    internal static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || !Base64Url.IsValid(text.AsSpan(), out var length))
        {
            return false;
        }

        bytes = new byte[length];
        return Base64Url.TryDecodeFromChars(text, bytes, out var written) && written == length;
    }
}
