using Latchkey.Server.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account.Sessions;

/// <summary>
/// The signed-in user's active sessions (device, place, when, which apps), each of which they can end, or all but this one.
/// Ending a session signs it out everywhere: every app that took part is told (single logout).
/// </summary>
[Authorize]
public sealed class IndexModel(SessionListing listing, SsoSessionRegistry registry, UserManager<Storage.LatchkeyUser> users) : PageModel
{
    public IReadOnlyList<SessionView> Sessions { get; private set; } = [];

    [TempData]
    public string? StatusMessage { get; set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Response.Headers.CacheControl = "no-store";
        Sessions = await listing.ListAsync(UserId, User.GetSsoSessionId(), ct);
    }

    public async Task<IActionResult> OnPostEndAsync(string? id, CancellationToken ct)
    {
        if (!Guid.TryParseExact(id, "D", out var sessionId) || !await listing.EndAsync(UserId, sessionId, SsoSessionEndReasons.EndedByUser, ct))
        {
            // Someone else's session, an ended one or a made-up id all look the same.
            return NotFound();
        }

        if (sessionId == User.GetSsoSessionId())
        {
            await HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return Redirect("/account/login");
        }

        StatusMessage = "Session ended. The apps it was signed in to have been told.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostEndOthersAsync(CancellationToken ct)
    {
        var ended = await registry.EndAllForUserAsync(UserId, SsoSessionEndReasons.EndedByUser, User.GetSsoSessionId(), ct);
        StatusMessage = ended == 1 ? "1 other session ended." : $"{ended} other sessions ended.";
        return RedirectToPage();
    }

    private Guid UserId => Guid.Parse(users.GetUserId(User) ?? throw new InvalidOperationException("Signed-in user without an id."));
}
