using System.Text.Json;

namespace Latchkey.Server.Audit;

/// <summary>
/// One entry per line as a JSON object (SIEM-friendly, also the archive format). Every stored field is
/// written, so a reader with the chain key can re-verify an export; details are a nested object.
/// </summary>
public static class AuditJsonLines
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    public static async Task WriteAsync(Stream output, IAsyncEnumerable<AuditEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        var newline = "\n"u8.ToArray();
        await foreach (var entry in entries.WithCancellation(ct))
        {
            using (var writer = new Utf8JsonWriter(output, WriterOptions))
            {
                Write(writer, entry);
            }

            await output.WriteAsync(newline, ct);
        }
    }

    public static void Write(Utf8JsonWriter writer, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entry);
        writer.WriteStartObject();
        writer.WriteNumber("sequence", entry.Sequence);
        writer.WriteString("time", AuditChain.FormatTime(entry.Time));
        writer.WriteString("event", entry.Event);
        writer.WriteString("outcome", entry.Outcome == AuditOutcome.Success ? "success" : "failure");
        WriteNullable(writer, "actor_id", entry.ActorId?.ToString("D"));
        WriteNullable(writer, "actor_name", entry.ActorName);
        WriteNullable(writer, "subject_id", entry.SubjectId?.ToString("D"));
        WriteNullable(writer, "subject_name", entry.SubjectName);
        WriteNullable(writer, "app", entry.App);
        WriteNullable(writer, "ip", entry.IpAddress);
        WriteNullable(writer, "user_agent", entry.UserAgent);
        writer.WritePropertyName("details");
        if (entry.Details is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(entry.Details);
        }

        // The exact stored text too: re-serialising the object could change escaping and so the hash input.
        WriteNullable(writer, "details_raw", entry.Details);
        writer.WriteString("previous_hash", entry.PreviousHash);
        writer.WriteString("hash", entry.Hash);
        writer.WriteString("key_id", entry.KeyId);
        writer.WriteEndObject();
    }

    /// <summary>Reads an entry written by <see cref="Write"/>.</summary>
    public static AuditEntry Read(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        return new AuditEntry
        {
            Sequence = root.GetProperty("sequence").GetInt64(),
            Time = DateTimeOffset.Parse(root.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal),
            Event = root.GetProperty("event").GetString()!,
            Outcome = root.GetProperty("outcome").GetString() == "success" ? AuditOutcome.Success : AuditOutcome.Failure,
            ActorId = Guid.TryParse(String(root, "actor_id"), out var actor) ? actor : null,
            ActorName = String(root, "actor_name"),
            SubjectId = Guid.TryParse(String(root, "subject_id"), out var subject) ? subject : null,
            SubjectName = String(root, "subject_name"),
            App = String(root, "app"),
            IpAddress = String(root, "ip"),
            UserAgent = String(root, "user_agent"),
            Details = String(root, "details_raw"),
            PreviousHash = root.GetProperty("previous_hash").GetString()!,
            Hash = root.GetProperty("hash").GetString()!,
            KeyId = root.GetProperty("key_id").GetString()!,
        };
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
