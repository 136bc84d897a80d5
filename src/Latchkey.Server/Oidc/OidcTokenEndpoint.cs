using System.Security.Claims;
using Microsoft.AspNetCore;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc;

/// <summary>
/// <c>/connect/token</c> after OpenIddict validated the request (client authentication, code/PKCE,
/// refresh token rotation and reuse): decides whose tokens these are and with which claims.
/// </summary>
internal static class OidcTokenEndpoint
{
    // OpenIddict keeps its bookkeeping (scopes, authorization id, presenters...) in "oi_" claims; carried over.
    private const string PrivateClaimPrefix = "oi_";

    private const string DestinationsClaim = "oi_cl_dstn";

    public static async Task<IResult> HandleAsync(
        HttpContext http,
        IOpenIddictApplicationManager applications,
        UserManager<LatchkeyUser> users,
        OidcPrincipalFactory principals,
        CancellationToken ct)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null)
        {
            return Results.BadRequest();
        }

        if (request.IsClientCredentialsGrantType())
        {
            var application = await applications.FindByClientIdAsync(request.ClientId!, ct);
            if (application is null)
            {
                return Error(Errors.InvalidClient, "The client application is unknown.");
            }

            // The name claim has no destination in a client's token, so no display-name lookup (a JSON parse per request).
            var client = OidcPrincipalFactory.CreateForClient(request.ClientId!, displayName: null, request.GetScopes());
            return Results.SignIn(client, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType() || request.IsDeviceCodeGrantType())
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var granted = result.Principal;
            if (granted is null)
            {
                return Error(Errors.InvalidGrant, "The grant is no longer valid.");
            }

            // Resolved here, not injected: the client-credentials path above must not pay for building it.
            if (request.IsRefreshTokenGrantType() && SessionBoundRefreshTokens.IsSessionBound(granted, out var sessionId)
                && await http.RequestServices.GetRequiredService<SsoSessionRegistry>().FindActiveAsync(sessionId, ct) is null)
            {
                return Error(Errors.InvalidGrant, "The sign-in session this refresh token belongs to has ended (request offline_access for a token that outlives it).");
            }

            var user = await OidcUsers.FindActiveAsync(users, granted.GetClaim(Claims.Subject));
            if (user is null)
            {
                return Error(Errors.InvalidGrant, "The user is no longer allowed to sign in.");
            }

            // Fresh user claims (a renamed user or a revoked role shows up at the next refresh), same session facts.
            var principal = await principals.CreateForUserAsync(
                user, granted.GetScopes(), OidcSessionFacts.FromTokenPrincipal(granted), ct);
            CarryOverPrivateClaims(granted, principal);
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Error(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    private static void CarryOverPrivateClaims(ClaimsPrincipal from, ClaimsPrincipal to)
    {
        var identity = (ClaimsIdentity)to.Identity!;
        var present = identity.Claims.Select(c => c.Type).ToHashSet(StringComparer.Ordinal);
        foreach (var claim in from.Claims)
        {
            if (claim.Type.StartsWith(PrivateClaimPrefix, StringComparison.Ordinal)
                && claim.Type != DestinationsClaim && !present.Contains(claim.Type))
            {
                identity.AddClaim(new Claim(claim.Type, claim.Value, claim.ValueType));
            }
        }
    }

    private static IResult Error(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
