using Latchkey.Server.Oidc;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>The applications the signed-in user allowed to use their account, each revocable (which also revokes its tokens).</summary>
[Authorize]
public sealed class ConsentsModel(OidcConsents consents, UserManager<Storage.LatchkeyUser> users) : PageModel
{
    public IReadOnlyList<OidcConsent> Consents { get; private set; } = [];

    public string? StatusMessage { get; private set; }

    public async Task OnGetAsync()
    {
        Consents = await consents.ListAsync(Subject, HttpContext.RequestAborted);
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id)
    {
        if (string.IsNullOrEmpty(id) || !await consents.RevokeAsync(Subject, id, HttpContext.RequestAborted))
        {
            return NotFound();
        }

        StatusMessage = "Access revoked.";
        Consents = await consents.ListAsync(Subject, HttpContext.RequestAborted);
        return Page();
    }

    private string Subject => users.GetUserId(User) ?? throw new InvalidOperationException("Signed-in user without an id.");
}
