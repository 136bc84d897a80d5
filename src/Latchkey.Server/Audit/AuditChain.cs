using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Server.Audit;

/// <summary>
/// The canonical form of an entry and its keyed hash. The canonical form is the fields below, in this
/// order, each as a 4-byte big-endian length followed by its UTF-8 bytes (length 0xFFFFFFFF for null):
/// format version "1", sequence (decimal), time (<c>yyyy-MM-ddTHH:mm:ss.fffZ</c>), event, outcome
/// (<c>success</c>/<c>failure</c>), actor id (<c>D</c> format), actor name, subject id, subject name, app,
/// IP, user agent, details (the stored JSON text), previous hash, key id. Length prefixes make it
/// unambiguous: no value can be shifted into a neighbouring field.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private const string Version = "1";

    public static string ComputeHash(AuditEntry entry, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var canonical = Canonical(
            Version,
            entry.Sequence.ToString(CultureInfo.InvariantCulture),
            FormatTime(entry.Time),
            entry.Event,
            entry.Outcome == AuditOutcome.Success ? "success" : "failure",
            entry.ActorId?.ToString("D"),
            entry.ActorName,
            entry.SubjectId?.ToString("D"),
            entry.SubjectName,
            entry.App,
            entry.IpAddress,
            entry.UserAgent,
            entry.Details,
            entry.PreviousHash,
            entry.KeyId);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, canonical));
    }

    public static string ComputeMac(AuditArchiveCheckpoint checkpoint, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var canonical = Canonical(
            "checkpoint-1",
            checkpoint.FirstSequence.ToString(CultureInfo.InvariantCulture),
            checkpoint.LastSequence.ToString(CultureInfo.InvariantCulture),
            checkpoint.LastHash,
            checkpoint.FileName,
            checkpoint.FileSha256,
            FormatTime(checkpoint.ArchivedAt),
            checkpoint.KeyId);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, canonical));
    }

    /// <summary>Constant-time comparison of two hex hashes.</summary>
    public static bool HashesEqual(string? a, string? b) =>
        a is not null && b is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    /// <summary>UTC, millisecond precision: what SQLite (ticks/1000) and PostgreSQL (microseconds) both store exactly.</summary>
    public static DateTimeOffset Normalise(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static byte[] Canonical(params string?[] fields)
    {
        using var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var field in fields)
        {
            if (field is null)
            {
                BinaryPrimitives.WriteUInt32BigEndian(length, uint.MaxValue);
                buffer.Write(length);
                continue;
            }

            var bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }

        return buffer.ToArray();
    }
}
