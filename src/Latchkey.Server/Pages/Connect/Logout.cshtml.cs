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
using Microsoft.AspNetCore.WebUtilities;
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

    /// <summary>Set once signed out: the clients' front-channel logout URLs, rendered as iframes.</summary>
    public IReadOnlyList<Uri> FrontChannelLogoutUris { get; private set; } = [];

    /// <summary>Set once signed out with front-channel logouts to render: where the page continues.</summary>
    public string? ContinueUrl { get; private set; }

    public Task<IActionResult> OnGetAsync() => HandleAsync();

    public Task<IActionResult> OnPostAsync() => HandleAsync();

    private async Task<IActionResult> HandleAsync()
    {
        var request = HttpContext.GetOpenIddictServerRequest();
        if (request is null)
        {
            return BadRequest();
        }

        // OpenIddict checks a hint only when asked; one that is not our ID token is a bad request, not a reason to ask.
        if (!string.IsNullOrEmpty(request.IdTokenHint) && await HintSubjectAsync() is null)
        {
            return new ContentResult
            {
                StatusCode = StatusCodes.Status400BadRequest,
                ContentType = "text/plain; charset=utf-8",
                Content = "error:invalid_request\nerror_description:The id_token_hint is not a valid ID token issued by this server.",
            };
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

            var frontChannel = await sessions.EndAsync(cookie.Principal!.GetSsoSessionId(), HttpContext.RequestAborted);
            await signInManager.SignOutAsync();
            if (frontChannel.Count > 0)
            {
                // Front-channel logout happens in this browser: render the clients' logout URLs in iframes, then
                // come back here without a session, which completes the redirect to the client below.
                FrontChannelLogoutUris = frontChannel;
                ContinueUrl = QueryHelpers.AddQueryString(Request.PathBase + "/connect/logout",
                    OriginalParameters().Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
                Response.Headers.ContentSecurityPolicy = FrontChannelLogoutUri.ContentSecurityPolicyFor(frontChannel);
                return Page();
            }
        }

        // OpenIddict redirects to the validated post_logout_redirect_uri (with state), or here when none was given.
        return SignOut(new AuthenticationProperties { RedirectUri = "/" }, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private async Task<bool> HintNamesAsync(OpenIddictRequest request, System.Security.Claims.ClaimsPrincipal user)
    {
        var subject = string.IsNullOrEmpty(request.IdTokenHint) ? null : await HintSubjectAsync();
        return subject is not null && string.Equals(subject, signInManager.UserManager.GetUserId(user), StringComparison.Ordinal);
    }

    // At this endpoint, authenticating OpenIddict's scheme validates the id_token_hint (signature, issuer, type; expiry is not held against it).
    private async Task<string?> HintSubjectAsync()
    {
        var hint = await HttpContext.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        return hint.Principal?.GetClaim(Claims.Subject);
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
