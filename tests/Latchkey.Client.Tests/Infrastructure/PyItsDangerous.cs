using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Client.Tests.Infrastructure;

/// <summary>
/// A second, independent itsdangerous implementation written from the spec (section 4), so the fake
/// Python server does not share code with the client it is testing. Timestamps are raw: the caller
/// decides the epoch, as the Python library version does.
/// </summary>
internal static class PyItsDangerous
{
    public const long LegacyEpochOffset = 1293840000;

    public static long RawTimestamp(DateTimeOffset now, bool legacyEpoch) =>
        now.ToUnixTimeSeconds() - (legacyEpoch ? LegacyEpochOffset : 0);

    public static string Sign(string secret, string payload, long rawTimestamp)
    {
        var tsBytes = BitConverter.GetBytes(rawTimestamp);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(tsBytes);
        }

        var start = 0;
        while (start < 7 && tsBytes[start] == 0)
        {
            start++;
        }

        var head = payload + "." + B64(tsBytes[start..]);
        return head + "." + B64(Mac(secret, head));
    }

    public static bool TryUnsign(string secret, string signed, out string payload, out long rawTimestamp)
    {
        payload = "";
        rawTimestamp = 0;
        var sigDot = signed.LastIndexOf('.');
        if (sigDot < 0)
        {
            return false;
        }

        var head = signed[..sigDot];
        if (!TryUnB64(signed[(sigDot + 1)..], out var mac) || !CryptographicOperations.FixedTimeEquals(mac, Mac(secret, head)))
        {
            return false;
        }

        var tsDot = head.LastIndexOf('.');
        if (tsDot < 0 || !TryUnB64(head[(tsDot + 1)..], out var ts) || ts.Length is 0 or > 8)
        {
            return false;
        }

        foreach (var b in ts)
        {
            rawTimestamp = (rawTimestamp << 8) | b;
        }

        payload = head[..tsDot];
        return true;
    }

    /// <summary><c>URLSafeTimedSerializer.dumps(value)</c> for a string value, zlib-compressing when that is shorter.</summary>
    public static string DumpsUrlSafe(string secret, string value, long rawTimestamp)
    {
        var json = Encoding.UTF8.GetBytes("\"" + value + "\"");
        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, CompressionLevel.Optimal))
        {
            zlib.Write(json);
        }

        var compressed = buffer.ToArray();
        var payload = compressed.Length < json.Length - 1 ? "." + B64(compressed) : B64(json);
        return Sign(secret, payload, rawTimestamp);
    }

    public static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryUnB64(string text, out byte[] data)
    {
        data = [];
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        try
        {
            data = Convert.FromBase64String(padded);
            return data.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Mac(string secret, string head)
    {
        var key = SHA1.HashData(Encoding.UTF8.GetBytes("itsdangerous" + "signer" + secret));
        return HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(head));
    }
}
