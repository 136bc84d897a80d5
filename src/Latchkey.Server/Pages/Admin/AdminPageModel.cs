using Latchkey.Server.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Admin;

/// <summary>
/// Base of every <c>/admin</c> page: only members of the <c>admin</c> role get in (anonymous users are
/// sent to the login page, signed-in non-admins are forbidden). Razor Pages validate antiforgery
/// tokens on every POST by default, so each form carries one.
/// </summary>
[Authorize(Roles = LatchkeyRoles.Admin)]
public abstract class AdminPageModel : PageModel
{
    private UserAdministration? _users;

    /// <summary>Set before a redirect so the next page shows what happened.</summary>
    [Microsoft.AspNetCore.Mvc.TempData]
    public string? StatusMessage { get; set; }

    protected UserAdministration UserAdmin => _users ??= UserAdministration.From(HttpContext.RequestServices);

    /// <summary>Pages that reveal private keys must not be kept by browsers or proxies.</summary>
    protected void DoNotStore() => Response.Headers.CacheControl = "no-store";
}
