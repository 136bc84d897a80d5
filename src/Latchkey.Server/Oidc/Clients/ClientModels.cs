namespace Latchkey.Server.Oidc.Clients;

public static class ClientTypes
{
    public const string Confidential = "confidential";
    public const string Public = "public";
}

/// <summary>The grants an operator can give a client (implicit and password do not exist here).</summary>
public static class ClientGrants
{
    public const string AuthorizationCode = "authorization_code";
    public const string RefreshToken = "refresh_token";
    public const string ClientCredentials = "client_credentials";
    public const string DeviceCode = "device_code";

    public static readonly IReadOnlyList<string> All = [AuthorizationCode, RefreshToken, ClientCredentials, DeviceCode];
}

public static class ClientScopes
{
    public static readonly IReadOnlyList<string> All = ["openid", "profile", "email", "roles", "offline_access"];
}

/// <summary>What an operator says about a client; <see cref="ClientRegistry"/> validates and maps it to OpenIddict.</summary>
public sealed record ClientDefinition(
    string ClientId,
    string Type,
    IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> PostLogoutRedirectUris,
    IReadOnlyList<string> Grants,
    IReadOnlyList<string> Scopes,
    bool FirstParty = false,
    string? DisplayName = null,
    string? BackchannelLogoutUri = null,
    string? FrontchannelLogoutUri = null,
    string? IdTokenSignedResponseAlg = null);

/// <summary>A registered client as shown to operators: never a secret.</summary>
public sealed record ClientSummary(
    string ClientId,
    string Type,
    string? DisplayName,
    IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> PostLogoutRedirectUris,
    IReadOnlyList<string> Grants,
    IReadOnlyList<string> Scopes,
    bool RequiresPkce,
    ClientSettings Settings);

/// <param name="ClientSecret">The generated secret (confidential clients), shown once; null for public clients.</param>
public sealed record CreatedClient(string ClientId, string? ClientSecret);

/// <summary>A client definition that cannot be registered; the message says why and is safe to show.</summary>
public sealed class ClientValidationException(string message) : Exception(message);
