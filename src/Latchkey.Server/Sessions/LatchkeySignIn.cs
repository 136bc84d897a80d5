using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Sessions;

/// <summary>
/// The one way to sign a browser in: starts (or, for the same user, renews) an <see cref="SsoSession"/> and issues Identity's application
/// cookie carrying <c>sid</c>, <c>auth_time</c> and <c>amr</c>. Checking the credentials is the caller's job.
/// </summary>
public sealed class LatchkeySignIn(
    SsoSessionRegistry sessions,
    LatchkeySignInManager signInManager,
    IHttpContextAccessor httpContextAccessor,
    IOptions<SessionLifetimeOptions> lifetimes)
{
    /// <param name="isPersistent">"Keep me signed in" (ignored when <see cref="SessionLifetimeOptions.RememberMeEnabled"/> is off).
    /// A renewal (step-up) with false keeps a persistent session persistent.</param>
    public async Task SignInAsync(LatchkeyUser user, IReadOnlyList<string> authMethods, bool isPersistent)
    {
        isPersistent &= lifetimes.Value.RememberMeEnabled;
        ArgumentNullException.ThrowIfNull(user);
        if (authMethods.Count == 0)
        {
            throw new ArgumentException("A sign-in needs at least one authentication method.", nameof(authMethods));
        }

        var http = httpContextAccessor.HttpContext ?? throw new InvalidOperationException("Signing in needs an HTTP request.");

        // The same user signing in again keeps the session (and so every app's login); another user's
        // sign-in in this browser replaces it, since nothing would be left to name the old one.
        SsoSession? session = null;
        if (http.User.GetSsoSessionId() is { } previous)
        {
            session = await sessions.ReauthenticateAsync(previous, user.Id, authMethods, isPersistent, http.RequestAborted);
            if (session is null)
            {
                await sessions.EndAsync(previous, SsoSessionEndReasons.Replaced, http.RequestAborted);
            }
        }

        session ??= await sessions.StartAsync(user, authMethods, http, isPersistent, http.RequestAborted);

        // A browser-session cookie unless "Keep me signed in"; either way the server's idle/absolute check decides.
        await signInManager.SignInWithClaimsAsync(user, new AuthenticationProperties { IsPersistent = session.IsPersistent }, SsoSessionClaimTypes.For(session));
    }
}
