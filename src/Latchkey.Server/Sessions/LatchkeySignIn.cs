using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;

namespace Latchkey.Server.Sessions;

/// <summary>
/// The one way to sign a browser in: starts an <see cref="SsoSession"/> and issues Identity's application
/// cookie carrying <c>sid</c>, <c>auth_time</c> and <c>amr</c>. Checking the credentials is the caller's job.
/// </summary>
public sealed class LatchkeySignIn(SsoSessionRegistry sessions, LatchkeySignInManager signInManager, IHttpContextAccessor httpContextAccessor)
{
    public async Task SignInAsync(LatchkeyUser user, IReadOnlyList<string> authMethods, bool isPersistent)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (authMethods.Count == 0)
        {
            throw new ArgumentException("A sign-in needs at least one authentication method.", nameof(authMethods));
        }

        var http = httpContextAccessor.HttpContext ?? throw new InvalidOperationException("Signing in needs an HTTP request.");

        // A browser that signs in again replaces its previous session: the old one must not outlive the cookie that named it.
        if (http.User.GetSsoSessionId() is { } previous)
        {
            await sessions.EndAsync(previous, "replaced", http.RequestAborted);
        }

        var session = await sessions.StartAsync(user, authMethods, http, http.RequestAborted);
        await signInManager.SignInWithClaimsAsync(user, new AuthenticationProperties { IsPersistent = isPersistent }, SsoSessionClaimTypes.For(session));
    }
}
