using System.Buffers;
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
        return Mac(
            key,
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
    }

    public static string ComputeMac(AuditArchiveCheckpoint checkpoint, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Mac(
            key,
            "checkpoint-1",
            checkpoint.FirstSequence.ToString(CultureInfo.InvariantCulture),
            checkpoint.LastSequence.ToString(CultureInfo.InvariantCulture),
            checkpoint.LastHash,
            checkpoint.FileName,
            checkpoint.FileSha256,
            FormatTime(checkpoint.ArchivedAt),
            checkpoint.KeyId);
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

    /// <summary>
    /// HMAC-SHA256 of the canonical form, written into one pooled buffer sized exactly up front: every token
    /// issuance hashes an entry, and a stream plus an array per field showed up in the token endpoint's profile.
    /// </summary>
    private static string Mac(byte[] key, params ReadOnlySpan<string?> fields)
    {
        var length = 0;
        foreach (var field in fields)
        {
            length += sizeof(uint) + (field is null ? 0 : Encoding.UTF8.GetByteCount(field));
        }

        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var canonical = rented.AsSpan(0, length);
            var written = 0;
            foreach (var field in fields)
            {
                if (field is null)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(canonical[written..], uint.MaxValue);
                    written += sizeof(uint);
                    continue;
                }

                var bytes = Encoding.UTF8.GetBytes(field, canonical[(written + sizeof(uint))..]);
                BinaryPrimitives.WriteUInt32BigEndian(canonical[written..], (uint)bytes);
                written += sizeof(uint) + bytes;
            }

            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(key, canonical, mac);
            return Convert.ToHexStringLower(mac);
        }
        finally
        {
            // Entry contents are not secret (they are stored in clear), so the buffer needs no clearing.
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
