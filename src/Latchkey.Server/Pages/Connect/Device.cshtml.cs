using Latchkey.Server.Oidc;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore;
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
/// The device flow's user-code page (RFC 8628 verification URI). The user signs in, enters the code shown
/// on the device (or arrives with it via <c>verification_uri_complete</c>), sees which client asks for
/// what, and approves or denies. OpenIddict validated the code before this page runs.
/// </summary>
[AllowAnonymous]
public sealed class DeviceModel(
    IOpenIddictApplicationManager applications,
    UserManager<LatchkeyUser> users,
    OidcPrincipalFactory principals,
    OidcSessionLink sessions,
    TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "user_code")]
    public string? UserCode { get; set; }

    [FromQuery(Name = "status")]
    public string? Status { get; set; }

    public string? ClientName { get; private set; }

    public IReadOnlyList<string> RequestedScopes { get; private set; } = [];

    public string? ErrorMessage { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!User.Identity?.IsAuthenticated ?? true)
        {
            var returnUrl = Request.PathBase + Request.Path + Request.QueryString;
            return Redirect(QueryHelpers.AddQueryString(Request.PathBase + "/account/login", "returnUrl", returnUrl));
        }

        var pending = await HttpContext.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var clientId = pending.Principal?.GetClaim(Claims.ClientId);
        if (pending.Succeeded && !string.IsNullOrEmpty(clientId))
        {
            var application = await applications.FindByClientIdAsync(clientId, HttpContext.RequestAborted);
            ClientName = application is null ? clientId : await applications.GetLocalizedDisplayNameAsync(application, HttpContext.RequestAborted) ?? clientId;
            RequestedScopes = [.. pending.Principal!.GetScopes()];
            return Page();
        }

        if (!string.IsNullOrEmpty(UserCode))
        {
            ErrorMessage = "That code is not valid or has expired. Check the code on your device and try again.";
        }

        return Page();
    }

    public async Task<IActionResult> OnPostApproveAsync()
    {
        var cookie = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = cookie.Succeeded ? await users.GetUserAsync(cookie.Principal!) : null;
        var pending = await HttpContext.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (user is not { IsActive: true } || !pending.Succeeded || pending.Principal?.GetClaim(Claims.ClientId) is not { Length: > 0 } clientId)
        {
            ErrorMessage = "That code is not valid or has expired. Check the code on your device and try again.";
            return Page();
        }

        var facts = OidcSessionFacts.FromCookie(cookie.Principal!, cookie.Properties?.IssuedUtc, time.GetUtcNow());
        var principal = await principals.CreateForUserAsync(user, pending.Principal!.GetScopes(), facts, HttpContext.RequestAborted);
        await sessions.RecordParticipantAsync(facts.SessionId, clientId, HttpContext.RequestAborted);
        return SignIn(principal, new AuthenticationProperties { RedirectUri = "/device?status=approved" }, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    public IActionResult OnPostDeny() =>
        Forbid(new AuthenticationProperties { RedirectUri = "/device?status=denied" }, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
}
