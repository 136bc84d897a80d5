using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc;

/// <summary><c>/connect/userinfo</c> (GET and POST): the current user's claims for the scopes the access token carries.</summary>
internal static class OidcUserInfoEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, UserManager<LatchkeyUser> users, CancellationToken ct)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var principal = result.Principal;
        var user = principal is null ? null : await OidcUsers.FindActiveAsync(users, principal.GetClaim(Claims.Subject));
        if (principal is null || user is null)
        {
            return Results.Challenge(
                new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The access token does not belong to an active user.",
                }),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [Claims.Subject] = user.Id.ToString("D"),
        };
        if (principal.HasScope(Scopes.Profile))
        {
            var name = $"{user.FirstName} {user.LastName}".Trim();
            claims[Claims.Name] = name.Length > 0 ? name : user.UserName ?? "";
            claims[Claims.PreferredUsername] = user.UserName ?? "";
            if (user.FirstName.Length > 0)
            {
                claims[Claims.GivenName] = user.FirstName;
            }

            if (user.LastName.Length > 0)
            {
                claims[Claims.FamilyName] = user.LastName;
            }
        }

        if (principal.HasScope(Scopes.Email) && !string.IsNullOrEmpty(user.Email))
        {
            claims[Claims.Email] = user.Email;
            claims[Claims.EmailVerified] = user.EmailConfirmed;
        }

        if (principal.HasScope(Scopes.Roles))
        {
            claims[Claims.Role] = await users.GetRolesAsync(user);
        }

        ct.ThrowIfCancellationRequested();
        return Results.Json(claims);
    }
}
