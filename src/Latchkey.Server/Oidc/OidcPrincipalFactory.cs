using System.Globalization;
using System.Security.Claims;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc;

/// <summary>The SSO session facts an ID token repeats: when and how the user authenticated, and which session.</summary>
public sealed record OidcSessionFacts(DateTimeOffset AuthenticatedAt, IReadOnlyList<string> AuthMethods, Guid? SessionId)
{
    /// <summary>
    /// Reads the facts from Identity's cookie principal (claims set by the sessions feature). A cookie from
    /// before sessions existed has none: fall back to the cookie's issue time and "pwd", the only method then.
    /// </summary>
    public static OidcSessionFacts FromCookie(ClaimsPrincipal principal, DateTimeOffset? cookieIssuedAt, DateTimeOffset now)
    {
        var methods = principal.GetAuthenticationMethods();
        return new OidcSessionFacts(
            principal.GetAuthenticationTime() ?? cookieIssuedAt ?? now,
            methods.Count > 0 ? methods : [OidcAuthenticationMethods.Password],
            principal.GetSsoSessionId());
    }

    /// <summary>Reads the facts back from a principal OpenIddict restored from a code, refresh token or device code.</summary>
    public static OidcSessionFacts? FromTokenPrincipal(ClaimsPrincipal principal)
    {
        var authTime = principal.GetAuthenticationTime();
        return authTime is null ? null : new OidcSessionFacts(authTime.Value, principal.GetAuthenticationMethods(), principal.GetSsoSessionId());
    }
}

/// <summary>RFC 8176 method references and the <c>acr</c> values Latchkey emits.</summary>
public static class OidcAuthenticationMethods
{
    public const string Password = "pwd";

    public const string AcrPassword = "urn:latchkey:acr:pwd";

    public const string AcrMultiFactor = "urn:latchkey:acr:mfa";

    /// <summary>"mfa" in amr means multi-factor (the sign-in code adds it whenever two factors were proven); anything else is password-level.</summary>
    public static string AcrFor(IReadOnlyList<string> methods) => methods.Contains("mfa") ? AcrMultiFactor : AcrPassword;
}

/// <summary>
/// Builds the principal OpenIddict turns into tokens: user claims by granted scope, session claims, and
/// for each claim the tokens it belongs in. Claims without a destination never leave the server.
/// </summary>
public sealed class OidcPrincipalFactory(UserManager<LatchkeyUser> users)
{
    public async Task<ClaimsPrincipal> CreateForUserAsync(LatchkeyUser user, IEnumerable<string> scopes, OidcSessionFacts? session, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var granted = scopes.ToHashSet(StringComparer.Ordinal);
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);

        identity.SetClaim(Claims.Subject, user.Id.ToString("D", CultureInfo.InvariantCulture));
        if (granted.Contains(Scopes.Profile))
        {
            var name = $"{user.FirstName} {user.LastName}".Trim();
            identity.SetClaim(Claims.Name, name.Length > 0 ? name : user.UserName);
            identity.SetClaim(Claims.PreferredUsername, user.UserName);
            if (user.FirstName.Length > 0)
            {
                identity.SetClaim(Claims.GivenName, user.FirstName);
            }

            if (user.LastName.Length > 0)
            {
                identity.SetClaim(Claims.FamilyName, user.LastName);
            }
        }

        if (granted.Contains(Scopes.Email) && !string.IsNullOrEmpty(user.Email))
        {
            identity.SetClaim(Claims.Email, user.Email);
            identity.AddClaim(new Claim(Claims.EmailVerified, user.EmailConfirmed ? "true" : "false", ClaimValueTypes.Boolean));
        }

        if (granted.Contains(Scopes.Roles))
        {
            identity.SetClaims(Claims.Role, [.. await users.GetRolesAsync(user)]);
        }

        if (session is not null)
        {
            identity.AddClaim(new Claim(Claims.AuthenticationTime,
                session.AuthenticatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
            identity.SetClaims(Claims.AuthenticationMethodReference, [.. session.AuthMethods]);
            identity.SetClaim(Claims.AuthenticationContextReference, OidcAuthenticationMethods.AcrFor(session.AuthMethods));
            if (session.SessionId is { } sid)
            {
                identity.SetClaim(SsoSessionClaimTypes.SessionId, SsoSessionClaimTypes.Format(sid));
            }
        }

        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(granted);
        identity.SetDestinations(DestinationsOf);
        return principal;
    }

    /// <summary>A client acting for itself (client credentials): the subject is the client.</summary>
    public static ClaimsPrincipal CreateForClient(string clientId, string? displayName, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, clientId);
        identity.SetClaim(Claims.Name, displayName ?? clientId);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(scopes);
        identity.SetDestinations(static claim => claim.Type == Claims.Name ? [] : [Destinations.AccessToken]);
        return principal;
    }

    // Profile data goes to the ID token only (the client reads it there or from userinfo); the access
    // token carries what a resource server authorises on: subject, roles, username.
    private static IEnumerable<string> DestinationsOf(Claim claim) => claim.Type switch
    {
        Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.Role or Claims.PreferredUsername =>
            [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.Name or Claims.GivenName or Claims.FamilyName or Claims.Email or Claims.EmailVerified => [Destinations.IdentityToken],
        Claims.AuthenticationTime or Claims.AuthenticationMethodReference or Claims.AuthenticationContextReference => [Destinations.IdentityToken],
        SsoSessionClaimTypes.SessionId => [Destinations.IdentityToken],
        _ => [],
    };
}
