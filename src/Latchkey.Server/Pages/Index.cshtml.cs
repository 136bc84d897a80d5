using Latchkey.Server.Accounts;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages;

/// <summary>The landing page: who is signed in and where to go.</summary>
public sealed class IndexModel : PageModel
{
    public string? UserName { get; private set; }

    public bool IsAdmin { get; private set; }

    public void OnGet()
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            UserName = User.Identity.Name;
            IsAdmin = User.IsInRole(LatchkeyRoles.Admin);
        }
    }
}
