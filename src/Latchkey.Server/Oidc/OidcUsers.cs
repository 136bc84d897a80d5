using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Server.Oidc;

/// <summary>Finds the user a token's <c>sub</c> names; only active users count.</summary>
internal static class OidcUsers
{
    public static async Task<LatchkeyUser?> FindActiveAsync(UserManager<LatchkeyUser> users, string? subject)
    {
        // Identity's FindByIdAsync throws on a non-Guid id; a client-credentials token's sub is a client_id.
        if (!Guid.TryParseExact(subject, "D", out _))
        {
            return null;
        }

        var user = await users.FindByIdAsync(subject);
        return user is { IsActive: true } ? user : null;
    }
}
