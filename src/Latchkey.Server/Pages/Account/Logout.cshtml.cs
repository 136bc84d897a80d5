using Latchkey.Server.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>Sign-out. GET only asks (a link or image must not sign anyone out); POST, with an antiforgery token, does it.</summary>
[AllowAnonymous]
public sealed class LogoutModel(LatchkeySignInManager signInManager) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool SignedOut { get; private set; }

    public void OnGet()
    {
        ReturnUrl = IsSafe(ReturnUrl) ? ReturnUrl : null;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await signInManager.SignOutAsync();
        if (IsSafe(ReturnUrl))
        {
            return Redirect(ReturnUrl!);
        }

        SignedOut = true;
        ReturnUrl = null;
        return Page();
    }

    private bool IsSafe(string? returnUrl) => Url.IsLocalUrl(returnUrl) && Latchkey.SimpleSso.LocalRedirect.IsSafeLocalPath(returnUrl);
}
