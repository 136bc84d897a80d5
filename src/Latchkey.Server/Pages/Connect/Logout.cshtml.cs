using Latchkey.Server.Accounts;
using Latchkey.Server.Hosting;
using Latchkey.Server.Oidc;
using Latchkey.Server.Sessions;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Pages.Connect;

/// <summary>
/// RP-initiated logout (end session endpoint), after OpenIddict validated <c>id_token_hint</c> and the exact
/// <c>post_logout_redirect_uri</c>. A valid hint for the signed-in user ends the SSO session at once;
/// anything else (no hint, a hint for someone else) asks the user first, so a third-party page cannot
/// sign people out with a bare link.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[PermitCrossOriginFormRedirects]
public sealed class LogoutModel(
    LatchkeySignInManager signInManager,
    OidcSessionLink sessions,
    IAntiforgery antiforgery) : PageModel
{
    public const string ConfirmField = "submit.Confirm";

    /// <summary>The end-session parameters, re-posted with the confirmation.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestParameters { get; private set; } = [];

    public Task<IActionResult> OnGetAsync() => HandleAsync();

    public Task<IActionResult> OnPostAsync() => HandleAsync();

    private async Task<IActionResult> HandleAsync()
    {
        var request = HttpContext.GetOpenIddictServerRequest();
        if (request is null)
        {
            return BadRequest();
        }

        var cookie = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (cookie.Succeeded)
        {
            var confirmed = Request.HasFormContentType && Request.Form.ContainsKey(ConfirmField);
            if (confirmed && !await antiforgery.IsRequestValidAsync(HttpContext))
            {
                return BadRequest();
            }

            if (!confirmed && !await HintNamesAsync(request, cookie.Principal!))
            {
                RequestParameters = [.. OriginalParameters()];
                return Page();
            }

            await sessions.EndAsync(cookie.Principal!.GetSsoSessionId(), HttpContext.RequestAborted);
            await signInManager.SignOutAsync();
        }

        // OpenIddict redirects to the validated post_logout_redirect_uri (with state), or here when none was given.
        return SignOut(new AuthenticationProperties { RedirectUri = "/" }, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private async Task<bool> HintNamesAsync(OpenIddictRequest request, System.Security.Claims.ClaimsPrincipal user)
    {
        if (string.IsNullOrEmpty(request.IdTokenHint))
        {
            return false;
        }

        var hint = await HttpContext.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var subject = hint.Principal?.GetClaim(Claims.Subject);
        return subject is not null && string.Equals(subject, signInManager.UserManager.GetUserId(user), StringComparison.Ordinal);
    }

    private IEnumerable<KeyValuePair<string, string>> OriginalParameters()
    {
        var source = Request.HasFormContentType ? (IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>>)Request.Form : Request.Query;
        foreach (var (key, values) in source)
        {
            if (key == ConfirmField || key.StartsWith("__", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var value in values)
            {
                yield return new(key, value ?? "");
            }
        }
    }
}
