using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Latchkey.Server.Oidc.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Cli;

/// <summary><c>latchkey keys ...</c>: the OIDC token signing keys.</summary>
internal static class KeysCommands
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(CommandContext context) => new("keys", "Manage the OpenID Connect signing keys.")
    {
        List(context),
        Rotate(context),
    };

    private static Command List(CommandContext context)
    {
        var all = new Option<bool>("--all") { Description = "Include expired keys." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array." };
        var command = new Command("list", "List keys: kid, algorithm, status (next/active/retiring/expired) and dates.") { all, json };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var store = services.GetRequiredService<SigningKeyStore>();
            await store.EnsureKeysAsync(ct);
            var now = (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
            var keys = (await store.ListAsync(ct))
                .Where(k => parsed.GetValue(all) || k.StatusAt(now) != SigningKeyStatus.Expired)
                .ToList();
            if (parsed.GetValue(json))
            {
                var rows = keys.Select(k => new KeyJson(
                    k.Kid, k.Algorithm, Use(k), Status(k, now), k.CreatedAt.ToUniversalTime(), k.ActivatesAt.ToUniversalTime(),
                    k.RetiresAt?.ToUniversalTime(), k.ExpiresAt?.ToUniversalTime()));
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(rows, Json));
                return ExitCodes.Ok;
            }

            var table = new TextTable("KID", "ALG", "USE", "STATUS", "CREATED", "ACTIVATES", "RETIRES", "EXPIRES");
            foreach (var key in keys)
            {
                table.Add(key.Kid, key.Algorithm, Use(key), Status(key, now), Format(key.CreatedAt), Format(key.ActivatesAt), Format(key.RetiresAt), Format(key.ExpiresAt));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Rotate(CommandContext context)
    {
        var algorithm = new Option<string>("--algorithm")
        {
            Description = "RS256 (default; signs ID and access tokens) or ES256.",
            DefaultValueFactory = _ => SigningKeyAlgorithms.RS256,
        };
        algorithm.AcceptOnlyFromAmong(SigningKeyAlgorithms.RS256, SigningKeyAlgorithms.ES256);
        var command = new Command(
            "rotate",
            "Create the next key: published in JWKS now, signing after Latchkey:Oidc:KeyPublishLead (default 1h); the current key then stays published until every token it signed has expired. Running servers publish it within about a second with Latchkey:Redis (cluster notice), otherwise at their next key refresh (Latchkey:Oidc:KeyRefreshInterval, default 30 s).")
        {
            algorithm,
        };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var store = services.GetRequiredService<SigningKeyStore>();
            await store.EnsureKeysAsync(ct);
            var next = await store.RotateAsync(parsed.GetRequiredValue(algorithm), ct);
            await context.Out.WriteLineAsync($"Created {next.Algorithm} key {next.Kid}; it signs from {Format(next.ActivatesAt)}.");
            await context.Out.WriteLineAsync($"The previous {next.Algorithm} key stops signing then and leaves JWKS at {Format(next.ActivatesAt + store.RetentionAfterRetirement)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Use(SigningKey key) => SigningKeyAlgorithms.IsSigning(key.Algorithm) ? "sig" : "enc";

    private static string Status(SigningKey key, DateTimeOffset now) => key.StatusAt(now).ToString().ToLowerInvariant();

    private static string Format(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private sealed record KeyJson(
        string Kid,
        string Algorithm,
        string Use,
        string Status,
        DateTimeOffset CreatedAt,
        DateTimeOffset ActivatesAt,
        DateTimeOffset? RetiresAt,
        DateTimeOffset? ExpiresAt);
}
