using System.Net;
using System.Text.RegularExpressions;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>
/// Registers OIDC clients through OpenIddict's application manager, translating grants and scopes into
/// OpenIddict permissions. Secrets are generated here, returned once, and stored only as keyed hashes.
/// </summary>
public sealed partial class ClientRegistry(IOpenIddictApplicationManager applications, Audit.IAuditLog audit)
{
    private const int MaxClientIdLength = 100;
    private const int MaxDisplayNameLength = 200;
    private const int MaxUriLength = 2000;

    public async Task<CreatedClient> CreateAsync(ClientDefinition definition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ValidateClientId(definition.ClientId);
        var descriptor = new OpenIddictApplicationDescriptor { ClientId = definition.ClientId };
        Describe(descriptor, definition);
        if (await FindAsync(definition.ClientId, ct) is not null)
        {
            throw Duplicate(definition.ClientId);
        }

        var secret = definition.Type == ClientTypes.Confidential ? ClientSecretHash.NewSecret() : null;
        descriptor.ClientSecret = secret;
        try
        {
            await applications.CreateAsync(descriptor, ct);
        }
        catch (OpenIddictExceptions.ValidationException e)
        {
            // Raised for a concurrent create with the same client_id, among others; never partially written.
            if (await FindAsync(definition.ClientId, ct) is not null)
            {
                throw Duplicate(definition.ClientId);
            }

            throw new ClientValidationException(string.Join(" ", e.Results.Select(r => r.ErrorMessage)));
        }

        await AuditAsync(Audit.AuditEvents.ClientCreated, definition.ClientId, Describe(definition), ct);
        return new CreatedClient(definition.ClientId, secret);
    }

    public async Task<IReadOnlyList<ClientSummary>> ListAsync(CancellationToken ct)
    {
        var list = new List<ClientSummary>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, ct))
        {
            list.Add(await SummarizeAsync(application, ct));
        }

        return list.OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList();
    }

    public async Task<ClientSummary?> GetAsync(string clientId, CancellationToken ct)
    {
        var application = await FindAsync(clientId, ct);
        return application is null ? null : await SummarizeAsync(application, ct);
    }

    /// <summary>Replaces everything but the client_id, type and secret. False when the client does not exist.</summary>
    public async Task<bool> UpdateAsync(ClientDefinition definition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var application = await FindAsync(definition.ClientId, ct);
        if (application is null)
        {
            return false;
        }

        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, ct);
        var type = descriptor.ClientType == OpenIddictConstants.ClientTypes.Public ? ClientTypes.Public : ClientTypes.Confidential;
        if (definition.Type != type)
        {
            throw new ClientValidationException("A client's type cannot change; remove it and add it again.");
        }

        descriptor.RedirectUris.Clear();
        descriptor.PostLogoutRedirectUris.Clear();
        descriptor.Permissions.Clear();
        descriptor.Requirements.Clear();
        Describe(descriptor, definition);
        try
        {
            await applications.PopulateAsync(application, descriptor, ct);
            await applications.UpdateAsync(application, ct);
        }
        catch (OpenIddictExceptions.ValidationException e)
        {
            throw new ClientValidationException(string.Join(" ", e.Results.Select(r => r.ErrorMessage)));
        }

        await AuditAsync(Audit.AuditEvents.ClientUpdated, definition.ClientId, Describe(definition), ct);
        return true;
    }

    /// <summary>Deletes the client (OpenIddict removes its authorizations and tokens with it).</summary>
    public async Task<bool> RemoveAsync(string clientId, CancellationToken ct)
    {
        var application = await FindAsync(clientId, ct);
        if (application is null)
        {
            return false;
        }

        await applications.DeleteAsync(application, ct);
        await AuditAsync(Audit.AuditEvents.ClientRemoved, clientId, null, ct);
        return true;
    }

    /// <summary>Replaces a confidential client's secret; the old one stops working at once. Null when unknown.</summary>
    public async Task<CreatedClient?> RotateSecretAsync(string clientId, CancellationToken ct)
    {
        var application = await FindAsync(clientId, ct);
        if (application is null)
        {
            return null;
        }

        if (!await applications.HasClientTypeAsync(application, OpenIddictConstants.ClientTypes.Confidential, ct))
        {
            throw new ClientValidationException($"Client '{clientId}' is public and has no secret.");
        }

        var secret = ClientSecretHash.NewSecret();
        await applications.UpdateAsync(application, secret, ct);
        await AuditAsync(Audit.AuditEvents.ClientSecretRotated, clientId, null, ct);
        return new CreatedClient(clientId, secret);
    }

    private static Dictionary<string, string> Describe(ClientDefinition definition) => new()
    {
        ["type"] = definition.Type,
        ["redirect_uris"] = string.Join(' ', definition.RedirectUris),
        ["grant_types"] = string.Join(' ', definition.Grants),
        ["scopes"] = string.Join(' ', definition.Scopes),
    };

    private Task AuditAsync(string eventName, string clientId, Dictionary<string, string>? details, CancellationToken ct) =>
        audit.AppendAsync(
            new Audit.AuditRecord(eventName, Audit.AuditOutcome.Success) { SubjectName = clientId, App = Audit.AuditRecord.OidcApp(clientId), Details = details },
            ct);

    // Changes must start from a fresh, tracked row, never from the shared cross-request cache entry.
    private async Task<object?> FindAsync(string clientId, CancellationToken ct) =>
        string.IsNullOrEmpty(clientId) ? null
        : applications is LatchkeyApplicationManager latchkey ? await latchkey.FindByClientIdForUpdateAsync(clientId, ct)
        : await applications.FindByClientIdAsync(clientId, ct);

    private async Task<ClientSummary> SummarizeAsync(object application, CancellationToken ct)
    {
        var permissions = await applications.GetPermissionsAsync(application, ct);
        var grants = ClientGrants.All.Where(g => permissions.Contains(Permissions.Prefixes.GrantType + g)).ToList();
        var scopes = permissions.Where(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
            .Select(p => p[Permissions.Prefixes.Scope.Length..])
            .ToList();
        var requirements = await applications.GetRequirementsAsync(application, ct);
        return new ClientSummary(
            await applications.GetClientIdAsync(application, ct) ?? string.Empty,
            await applications.HasClientTypeAsync(application, OpenIddictConstants.ClientTypes.Public, ct) ? ClientTypes.Public : ClientTypes.Confidential,
            await applications.GetDisplayNameAsync(application, ct),
            [.. await applications.GetRedirectUrisAsync(application, ct)],
            [.. await applications.GetPostLogoutRedirectUrisAsync(application, ct)],
            grants,
            scopes,
            requirements.Contains(Requirements.Features.ProofKeyForCodeExchange),
            ClientSettings.Read(await applications.GetPropertiesAsync(application, ct)));
    }

    /// <summary>Validates the definition and writes everything but client_id and secret into the descriptor.</summary>
    private static void Describe(OpenIddictApplicationDescriptor descriptor, ClientDefinition definition)
    {
        var isPublic = definition.Type switch
        {
            ClientTypes.Public => true,
            ClientTypes.Confidential => false,
            _ => throw new ClientValidationException($"Client type must be '{ClientTypes.Confidential}' or '{ClientTypes.Public}' (got '{definition.Type}')."),
        };

        var grants = Distinct(definition.Grants, ClientGrants.All, "grant");
        var scopes = Distinct(definition.Scopes, ClientScopes.All, "scope");
        if (grants.Count == 0)
        {
            throw new ClientValidationException("Give the client at least one grant.");
        }

        var code = grants.Contains(ClientGrants.AuthorizationCode);
        var device = grants.Contains(ClientGrants.DeviceCode);
        if (grants.Contains(ClientGrants.RefreshToken) && !code && !device)
        {
            throw new ClientValidationException("The refresh_token grant needs authorization_code or device_code.");
        }

        if (grants.Contains(ClientGrants.ClientCredentials) && isPublic)
        {
            throw new ClientValidationException("A public client cannot use client_credentials: it has no secret.");
        }

        if (scopes.Contains("offline_access") && !grants.Contains(ClientGrants.RefreshToken))
        {
            throw new ClientValidationException("The offline_access scope needs the refresh_token grant.");
        }

        var redirectUris = definition.RedirectUris.Select(u => ValidateUri(u, "redirect URI", allowCustomScheme: true)).Distinct(StringComparer.Ordinal).ToList();
        var postLogoutUris = definition.PostLogoutRedirectUris.Select(u => ValidateUri(u, "post-logout redirect URI", allowCustomScheme: true)).Distinct(StringComparer.Ordinal).ToList();
        if (code && redirectUris.Count == 0)
        {
            throw new ClientValidationException("The authorization_code grant needs at least one redirect URI.");
        }

        if (!code && (redirectUris.Count > 0 || postLogoutUris.Count > 0))
        {
            throw new ClientValidationException("Redirect URIs are only used with the authorization_code grant.");
        }

        var backchannel = definition.BackchannelLogoutUri is { Length: > 0 } b ? ValidateUri(b, "back-channel logout URI", allowCustomScheme: false) : null;
        var frontchannel = definition.FrontchannelLogoutUri is { Length: > 0 } f ? ValidateUri(f, "front-channel logout URI", allowCustomScheme: false) : null;
        if ((backchannel ?? frontchannel) is not null && !code)
        {
            throw new ClientValidationException("Logout URIs are only used with the authorization_code grant.");
        }

        var displayName = string.IsNullOrWhiteSpace(definition.DisplayName) ? null : definition.DisplayName.Trim();
        if (displayName is { Length: > MaxDisplayNameLength })
        {
            throw new ClientValidationException($"The display name is longer than {MaxDisplayNameLength} characters.");
        }

        descriptor.DisplayName = displayName;
        descriptor.ClientType = isPublic ? OpenIddictConstants.ClientTypes.Public : OpenIddictConstants.ClientTypes.Confidential;
        descriptor.ConsentType = definition.FirstParty ? ConsentTypes.Implicit : ConsentTypes.Explicit;
        foreach (var uri in redirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }

        foreach (var uri in postLogoutUris)
        {
            descriptor.PostLogoutRedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }

        var permissions = descriptor.Permissions;
        permissions.Add(Permissions.Endpoints.Revocation);
        if (!isPublic)
        {
            permissions.Add(Permissions.Endpoints.Introspection);
        }

        if (code)
        {
            permissions.UnionWith([
                Permissions.Endpoints.Authorization, Permissions.Endpoints.PushedAuthorization, Permissions.Endpoints.Token,
                Permissions.Endpoints.EndSession, Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
            ]);
        }

        if (device)
        {
            permissions.UnionWith([Permissions.Endpoints.DeviceAuthorization, Permissions.Endpoints.Token, Permissions.GrantTypes.DeviceCode]);
        }

        if (grants.Contains(ClientGrants.RefreshToken))
        {
            permissions.UnionWith([Permissions.Endpoints.Token, Permissions.GrantTypes.RefreshToken]);
        }

        if (grants.Contains(ClientGrants.ClientCredentials))
        {
            permissions.UnionWith([Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials]);
        }

        // openid and offline_access are not enforced as permissions by OpenIddict, but are kept so
        // "clients show" reports what was registered.
        foreach (var scope in scopes)
        {
            permissions.Add(Permissions.Prefixes.Scope + scope);
        }

        if (isPublic)
        {
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }

        var idTokenAlgorithm = definition.IdTokenSignedResponseAlg switch
        {
            null or "" or "RS256" => null,
            "ES256" => "ES256",
            var other => throw new ClientValidationException($"id_token_signed_response_alg must be RS256 or ES256 (got '{other}')."),
        };
        var settings = new ClientSettings(definition.FirstParty, backchannel, backchannel is not null, frontchannel, frontchannel is not null)
        {
            IdTokenSignedResponseAlg = idTokenAlgorithm,
        };
        settings.WriteTo(descriptor.Properties);
    }

    private static List<string> Distinct(IReadOnlyList<string> values, IReadOnlyList<string> allowed, string what)
    {
        var result = new List<string>();
        foreach (var value in values)
        {
            if (!allowed.Contains(value, StringComparer.Ordinal))
            {
                throw new ClientValidationException($"Unknown {what} '{value}'; use {string.Join(", ", allowed)}.");
            }

            if (!result.Contains(value, StringComparer.Ordinal))
            {
                result.Add(value);
            }
        }

        return result;
    }

    private static void ValidateClientId(string clientId)
    {
        if (string.IsNullOrEmpty(clientId) || clientId.Length > MaxClientIdLength || !ClientIdPattern().IsMatch(clientId))
        {
            throw new ClientValidationException($"A client_id is 1-{MaxClientIdLength} characters of letters, digits and . _ ~ - (got '{clientId}').");
        }
    }

    /// <summary>
    /// Absolute, no fragment, no user info; https, or http only on loopback; private-use schemes of
    /// native apps (RFC 8252, with a dot such as com.example.app) only where <paramref name="allowCustomScheme"/>.
    /// </summary>
    internal static string ValidateUri(string value, string what, bool allowCustomScheme)
    {
        // On Unix "/path" parses as an absolute file URI; a redirect URI must name its scheme.
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxUriLength || value.StartsWith('/')
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.IsFile)
        {
            throw new ClientValidationException($"The {what} '{value}' is not an absolute URI.");
        }

        if (value.Contains('#', StringComparison.Ordinal))
        {
            throw new ClientValidationException($"The {what} '{value}' must not contain a fragment.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new ClientValidationException($"The {what} '{value}' must not contain user info.");
        }

        switch (uri.Scheme)
        {
            case "https":
                break;
            case "http" when IsLoopback(uri):
                break;
            case "http":
                throw new ClientValidationException($"The {what} '{value}' uses http, which only loopback hosts (localhost, 127.0.0.1, [::1]) may; use https.");
            case var scheme when allowCustomScheme && scheme.Contains('.', StringComparison.Ordinal):
                break;
            default:
                throw new ClientValidationException($"The {what} '{value}' must use https (or http on loopback{(allowCustomScheme ? ", or a private-use scheme like com.example.app" : string.Empty)}).");
        }

        return value;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static ClientValidationException Duplicate(string clientId) => new($"A client with client_id '{clientId}' already exists.");

    [GeneratedRegex("^[A-Za-z0-9._~-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ClientIdPattern();
}
