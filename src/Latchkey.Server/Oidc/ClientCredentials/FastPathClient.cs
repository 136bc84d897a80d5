using System.Runtime.CompilerServices;
using System.Text.Json;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc.ClientCredentials;

/// <summary>
/// What the fast path needs from an application row, parsed once per cached row instance (the
/// <see cref="Clients.ClientApplicationCache"/> hands out a new instance after every change, so a stale
/// parse cannot outlive the row it came from).
/// </summary>
internal sealed class FastPathClient
{
    private static readonly ConditionalWeakTable<OpenIddictEntityFrameworkCoreApplication<Guid>, FastPathClient> Parsed = new();

    private readonly HashSet<string> _scopes;

    private FastPathClient(string? secretHash, bool eligible, HashSet<string> scopes)
    {
        SecretHash = secretHash;
        Eligible = eligible;
        _scopes = scopes;
    }

    /// <summary>The stored secret hash (<c>hmac-sha256:…</c>).</summary>
    public string? SecretHash { get; }

    /// <summary>
    /// A confidential client with a secret, allowed the token endpoint and the client_credentials grant, with no
    /// per-client token settings (lifetimes, formats), no feature requirements and no registered keys: the only
    /// shape the fast path issues for.
    /// </summary>
    public bool Eligible { get; }

    public bool MayRequest(string scope) => _scopes.Contains(scope);

    public static FastPathClient For(OpenIddictEntityFrameworkCoreApplication<Guid> application) =>
        Parsed.GetValue(application, Parse);

    private static FastPathClient Parse(OpenIddictEntityFrameworkCoreApplication<Guid> application)
    {
        var permissions = ReadArray(application.Permissions);
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var permission in permissions)
        {
            if (permission.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
            {
                scopes.Add(permission[Permissions.Prefixes.Scope.Length..]);
            }
        }

        var eligible = application.ClientType == ClientTypes.Confidential
            && !string.IsNullOrEmpty(application.ClientSecret)
            && permissions.Contains(Permissions.Endpoints.Token)
            && permissions.Contains(Permissions.GrantTypes.ClientCredentials)
            && IsEmptyObject(application.Settings)
            // Feature requirements and registered client keys change what OpenIddict demands of a client: its call.
            && ReadArray(application.Requirements).Count == 0
            && string.IsNullOrWhiteSpace(application.JsonWebKeySet);
        return new FastPathClient(application.ClientSecret, eligible, scopes);
    }

    private static HashSet<string> ReadArray(string? json)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json))
        {
            return values;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in document.RootElement.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && item.GetString() is { } value)
                    {
                        values.Add(value);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // An unreadable permission list grants nothing here; OpenIddict decides what it means.
            values.Clear();
        }

        return values;
    }

    private static bool IsEmptyObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && !document.RootElement.EnumerateObject().Any();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
