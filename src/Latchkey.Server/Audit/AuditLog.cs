using System.Security.Claims;
using System.Text.Json;

namespace Latchkey.Server.Audit;

/// <summary>
/// <see cref="IAuditLog"/>: adds time, actor, IP and user agent from the current request, normalises and
/// bounds every field (what is stored is exactly what is hashed) and hands the entry to <see cref="AuditWriter"/>.
/// </summary>
public sealed class AuditLog(AuditWriter writer, TimeProvider time, IHttpContextAccessor httpContextAccessor, Telemetry.LatchkeyMetrics metrics) : IAuditLog
{
    // Defence in depth: a caller that puts one of these into Details by mistake does not leak it.
    private static readonly string[] SecretLikeKeys = ["password", "secret", "token", "code", "key", "private_key", "assertion", "otp"];

    public Task AppendAsync(AuditRecord record, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrWhiteSpace(record.Event))
        {
            throw new ArgumentException("An audit event needs a name.", nameof(record));
        }

        var http = httpContextAccessor.HttpContext;
        var user = http?.User;
        var signedIn = user?.Identity?.IsAuthenticated == true;
        var actorId = record.ActorId;
        var actorName = record.ActorName;
        if (actorId is null && actorName is null && signedIn)
        {
            actorId = Guid.TryParse(user!.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
            actorName = user!.Identity!.Name;
        }

        var entry = new AuditEntry
        {
            Time = AuditChain.Normalise(time.GetUtcNow()),
            Event = Cut(record.Event.Trim().ToLowerInvariant(), AuditLimits.Event)!,
            Outcome = record.Outcome,
            ActorId = actorId,
            ActorName = Cut(actorName ?? (actorId is null ? AuditAmbientActor.Name ?? AuditActors.System : null), AuditLimits.Name),
            SubjectId = record.SubjectId,
            SubjectName = Cut(record.SubjectName, AuditLimits.Name),
            App = Cut(record.App, AuditLimits.Name),
            IpAddress = http?.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Cut(http?.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null, AuditLimits.UserAgent),
            Details = SerializeDetails(record.Details),
            PreviousHash = AuditChain.Genesis,
            Hash = string.Empty,
            KeyId = string.Empty,
        };
        metrics.Observe(record);
        return writer.AppendAsync(entry, ct);
    }

    /// <summary>A JSON object with keys in ordinal order, values cut to a bounded length; null when empty.</summary>
    internal static string? SerializeDetails(IReadOnlyDictionary<string, string>? details)
    {
        if (details is null || details.Count == 0)
        {
            return null;
        }

        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in details)
        {
            var key = name.Trim().ToLowerInvariant();
            sorted[key] = SecretLikeKeys.Contains(key) ? "[redacted]" : Cut(value ?? string.Empty, AuditLimits.DetailValue)!;
        }

        return JsonSerializer.Serialize(sorted);
    }

    private static string? Cut(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
