using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Sessions;

/// <summary>
/// "Sign this user out everywhere": ends every SSO session of the user (each with its single-logout
/// fan-out) and revokes every OIDC token issued to them, so a stolen refresh token dies with the
/// password it was obtained under. Called on password change or reset, user disabled or deleted, MFA reset.
/// </summary>
/// <remarks>
/// Tokens are revoked for the whole user, including those obtained from <c>exceptSessionId</c>: OIDC
/// tokens outlive browser sessions (an app keeps refreshing after the browser closed), so they cannot be
/// told apart by session, and keeping a possibly stolen refresh token alive is the worse error. Ad-hoc
/// authorizations (the ones behind refresh tokens without a remembered consent) are revoked too; permanent
/// authorizations are the user's consents, not credentials, and stay (the user manages them on
/// <c>/account/consents</c>).
/// </remarks>
public sealed class UserSessionRevoker(
    SsoSessionRegistry sessions,
    IServiceProvider services,
    ILogger<UserSessionRevoker> logger)
{
    /// <summary>Returns how many SSO sessions ended.</summary>
    public async Task<int> RevokeAllAsync(Guid userId, string reason, Guid? exceptSessionId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var ended = await sessions.EndAllForUserAsync(userId, reason, exceptSessionId, ct);
        var revokedTokens = await RevokeOidcGrantsAsync(SsoSessionClaimTypes.Format(userId), ct);
        Log.RevokedAll(logger, userId, reason, ended, revokedTokens);
        return ended;
    }

    private async Task<long> RevokeOidcGrantsAsync(string subject, CancellationToken ct)
    {
        // Hosts without the OIDC stores (none today) have no tokens to revoke.
        var tokens = services.GetService<IOpenIddictTokenManager>();
        var authorizations = services.GetService<IOpenIddictAuthorizationManager>();
        if (tokens is null || authorizations is null)
        {
            return 0;
        }

        await authorizations.RevokeAsync(subject, client: null, status: Statuses.Valid, type: AuthorizationTypes.AdHoc, ct);
        return await tokens.RevokeBySubjectAsync(subject, ct);
    }
}
