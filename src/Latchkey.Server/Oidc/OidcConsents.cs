using System.Security.Claims;
using Latchkey.Server.Oidc.Clients;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc;

/// <summary>A consent a user gave: a permanent OpenIddict authorization.</summary>
public sealed record OidcConsent(string Id, string ClientId, string ClientName, IReadOnlyList<string> Scopes, DateTimeOffset? GrantedAt);

/// <summary>
/// Consent decisions on top of OpenIddict authorizations. A consent is a permanent authorization for
/// (user, client, scopes); first-party clients (application property <c>first_party</c> true) never ask.
/// </summary>
public sealed class OidcConsents(
    IOpenIddictApplicationManager applications,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictTokenManager tokens)
{
    public async Task<bool> IsFirstPartyAsync(object application, CancellationToken ct) =>
        ClientSettings.Read(await applications.GetPropertiesAsync(application, ct)).FirstParty;

    /// <summary>A valid permanent authorization of this user for this client that covers every requested scope, or null.</summary>
    public async Task<object?> FindCoveringAsync(string subject, object application, IEnumerable<string> scopes, CancellationToken ct)
    {
        var applicationId = await applications.GetIdAsync(application, ct);
        await foreach (var authorization in authorizations.FindAsync(
            subject, applicationId, Statuses.Valid, AuthorizationTypes.Permanent, [.. scopes], ct))
        {
            return authorization;
        }

        return null;
    }

    /// <summary>Records the user's consent so the next request with the same (or fewer) scopes does not ask again.</summary>
    public async Task<object> RememberAsync(ClaimsPrincipal principal, string subject, object application, IEnumerable<string> scopes, CancellationToken ct)
    {
        var applicationId = await applications.GetIdAsync(application, ct);
        return await authorizations.CreateAsync(principal, subject, applicationId!, AuthorizationTypes.Permanent, [.. scopes], ct);
    }

    public async Task<IReadOnlyList<OidcConsent>> ListAsync(string subject, CancellationToken ct)
    {
        var consents = new List<OidcConsent>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(subject, ct))
        {
            if (!await authorizations.HasTypeAsync(authorization, AuthorizationTypes.Permanent, ct)
                || !await authorizations.HasStatusAsync(authorization, Statuses.Valid, ct))
            {
                continue;
            }

            var applicationId = await authorizations.GetApplicationIdAsync(authorization, ct);
            var application = applicationId is null ? null : await applications.FindByIdAsync(applicationId, ct);
            var clientId = application is null ? "(removed client)" : await applications.GetClientIdAsync(application, ct) ?? "";
            var name = application is null ? clientId : await applications.GetLocalizedDisplayNameAsync(application, ct) ?? clientId;
            consents.Add(new OidcConsent(
                (await authorizations.GetIdAsync(authorization, ct))!,
                clientId,
                name,
                [.. await authorizations.GetScopesAsync(authorization, ct)],
                await authorizations.GetCreationDateAsync(authorization, ct)));
        }

        return consents;
    }

    /// <summary>
    /// Revokes one of the user's consents and every token issued under it. Revoking the authorization alone
    /// already makes OpenIddict refuse its tokens at introspection and refresh; revoking the tokens too
    /// marks them so in storage. False if it is not this user's consent.
    /// </summary>
    public async Task<bool> RevokeAsync(string subject, string authorizationId, CancellationToken ct)
    {
        if (!Guid.TryParse(authorizationId, out _))
        {
            return false;
        }

        var authorization = await authorizations.FindByIdAsync(authorizationId, ct);
        if (authorization is null || !string.Equals(await authorizations.GetSubjectAsync(authorization, ct), subject, StringComparison.Ordinal))
        {
            return false;
        }

        await authorizations.TryRevokeAsync(authorization, ct);
        await tokens.RevokeByAuthorizationIdAsync(authorizationId, ct);
        return true;
    }
}
