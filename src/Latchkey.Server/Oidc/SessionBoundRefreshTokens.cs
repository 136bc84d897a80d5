using Latchkey.Server.Sessions;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Latchkey.Server.Oidc;

/// <summary>
/// Refresh tokens come in two kinds, as in Keycloak: with <c>offline_access</c> granted, an offline token
/// that outlives the browser session (until it expires, is revoked, or the user is signed out everywhere);
/// without it, a session-bound token, issued to any client allowed the refresh_token grant, that stops
/// working once its SSO session (<c>sid</c>) ends. OpenIddict on its own issues refresh tokens only for
/// <c>offline_access</c>; this handler adds the session-bound kind and <see cref="IsSessionBound"/> tells the
/// token endpoint which ones to check against the session.
/// </summary>
public sealed class SessionBoundRefreshTokens(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseScopedHandler<SessionBoundRefreshTokens>()
            // Right after OpenIddict decided which tokens to issue, before it creates the ad-hoc authorization they hang on.
            .SetOrder(OpenIddictServerHandlers.EvaluateGeneratedTokens.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <summary>True for a refresh token principal that must die with its SSO session.</summary>
    public static bool IsSessionBound(System.Security.Claims.ClaimsPrincipal principal, out Guid sessionId)
    {
        sessionId = principal.GetSsoSessionId() ?? Guid.Empty;
        return sessionId != Guid.Empty && !principal.HasScope(Scopes.OfflineAccess);
    }

    public async ValueTask HandleAsync(ProcessSignInContext context)
    {
        if (context.EndpointType != OpenIddictServerEndpointType.Token || context.GenerateRefreshToken
            || context.Principal is null || !IsSessionBound(context.Principal, out _)
            || !(context.Request.IsAuthorizationCodeGrantType() || context.Request.IsRefreshTokenGrantType() || context.Request.IsDeviceCodeGrantType())
            || string.IsNullOrEmpty(context.ClientId))
        {
            return;
        }

        // A client not allowed the refresh_token grant could not redeem one; don't hand it out.
        var application = await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken);
        if (application is not null
            && await applications.HasPermissionAsync(application, Permissions.GrantTypes.RefreshToken, context.CancellationToken))
        {
            context.GenerateRefreshToken = true;
            context.IncludeRefreshToken = true;
        }
    }
}
