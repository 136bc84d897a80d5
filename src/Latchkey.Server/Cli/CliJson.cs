using System.Text.Json;
using Latchkey.Server.Consumers;
using Latchkey.Server.Pages.Admin;

namespace Latchkey.Server.Cli;

/// <summary>
/// The <c>--json</c> output shapes: snake_case like the simple-sso wire format, times in ISO 8601 UTC.
/// Scripts depend on these names; change them only with the README.
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Keys(CreatedConsumer keys) =>
        JsonSerializer.Serialize(new KeysJson(keys.Name, keys.PublicKey, keys.PrivateKey), Options);

    public static string Consumer(ConsumerSummary consumer, DateTimeOffset now) =>
        JsonSerializer.Serialize(ToJson(consumer, now), Options);

    public static string Consumers(IEnumerable<ConsumerSummary> consumers, DateTimeOffset now) =>
        JsonSerializer.Serialize(consumers.Select(c => ToJson(c, now)), Options);

    public static string Users(IEnumerable<UserRow> users) =>
        JsonSerializer.Serialize(users.Select(u => new UserJson(u.UserName, u.Email, u.FullName, u.IsActive, u.IsAdmin, u.IsLockedOut, u.CreatedAt.ToUniversalTime())), Options);

    private static ConsumerJson ToJson(ConsumerSummary consumer, DateTimeOffset now) => new(
        consumer.Name,
        consumer.RedirectOrigins,
        consumer.GrantStaff,
        consumer.GrantSuperuser,
        consumer.CreatedAt.ToUniversalTime(),
        consumer.Keys.Select(k => new KeyJson(k.PublicKey, k.CreatedAt.ToUniversalTime(), k.ExpiresAt?.ToUniversalTime(), k.ExpiresAt is null || k.ExpiresAt > now)).ToList());

    private sealed record KeysJson(string Name, string PublicKey, string PrivateKey);

    private sealed record ConsumerJson(string Name, IReadOnlyList<string> RedirectOrigins, bool GrantStaff, bool GrantSuperuser, DateTimeOffset CreatedAt, IReadOnlyList<KeyJson> Keys);

    private sealed record KeyJson(string PublicKey, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, bool Live);

    private sealed record UserJson(string Username, string Email, string Name, bool IsActive, bool IsAdmin, bool LockedOut, DateTimeOffset CreatedAt);
}
