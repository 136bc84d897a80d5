using Latchkey.Server.Accounts;
using Latchkey.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Sign-out. GET only asks (a link or image must not sign anyone out); POST, with an antiforgery token, does it:
/// it ends the SSO session (queuing back-channel logout for the apps that took part) and, when OIDC clients
/// registered front-channel logout, renders their logout URLs in invisible iframes before moving on.
/// </summary>
[AllowAnonymous]
public sealed class LogoutModel(LatchkeySignInManager signInManager, SsoSessionRegistry sessions) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool SignedOut { get; private set; }

    /// <summary>Front-channel logout URLs to render as iframes on the signed-out page.</summary>
    public IReadOnlyList<Uri> FrontChannelLogoutUris { get; private set; } = [];

    public void OnGet()
    {
        ReturnUrl = ReturnUrls.IsSafe(Url, ReturnUrl) ? ReturnUrl : null;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (User.GetSsoSessionId() is { } sessionId)
        {
            await sessions.EndAsync(sessionId, SsoSessionEndReasons.Logout, HttpContext.RequestAborted);
            FrontChannelLogoutUris = await sessions.GetFrontChannelLogoutUrisAsync(sessionId, sessions.CurrentIssuer, HttpContext.RequestAborted);
        }

        await signInManager.SignOutAsync();
        var returnUrl = ReturnUrls.IsSafe(Url, ReturnUrl) ? ReturnUrl : null;
        if (returnUrl is not null && FrontChannelLogoutUris.Count == 0)
        {
            return Redirect(returnUrl);
        }

        if (FrontChannelLogoutUris.Count > 0)
        {
            // The cookie handler redirects a sign-out on the logout path to ?returnUrl=; here the iframes
            // must load first, so this page answers and offers the return URL as a link instead.
            Response.StatusCode = StatusCodes.Status200OK;
            Response.Headers.Location = default;

            // Only this response may frame other sites, and only those that asked for front-channel logout.
            Response.Headers.ContentSecurityPolicy = FrontChannelLogoutUri.ContentSecurityPolicyFor(FrontChannelLogoutUris);
        }

        SignedOut = true;
        ReturnUrl = returnUrl;
        return Page();
    }
}
