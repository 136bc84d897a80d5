using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Pages.Admin.Users;

/// <summary>An administrator's view of one user's active sessions: end one, or all of them (with single logout each time).</summary>
public sealed class SessionsModel(LatchkeyDbContext db, SessionListing listing, UserSessionRevoker revoker) : AdminPageModel
{
    [BindProperty(SupportsGet = true)]
    public string? UserName { get; set; }

    public IReadOnlyList<SessionView> Sessions { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await FindAsync(ct) is not { } userId)
        {
            return NotFound();
        }

        Response.Headers.CacheControl = "no-store";
        Sessions = await listing.ListAsync(userId, User.GetSsoSessionId(), ct);
        return Page();
    }

    public async Task<IActionResult> OnPostEndAsync(string? id, CancellationToken ct)
    {
        if (await FindAsync(ct) is not { } userId
            || !Guid.TryParseExact(id, "D", out var sessionId)
            || !await listing.EndAsync(userId, sessionId, SsoSessionEndReasons.EndedByAdmin, ct))
        {
            return NotFound();
        }

        StatusMessage = "Session ended.";
        return RedirectToPage(new { userName = UserName });
    }

    /// <summary>Ends every session and revokes the user's OIDC tokens (what a compromised account needs).</summary>
    public async Task<IActionResult> OnPostEndAllAsync(CancellationToken ct)
    {
        if (await FindAsync(ct) is not { } userId)
        {
            return NotFound();
        }

        var ended = await revoker.RevokeAllAsync(userId, SsoSessionEndReasons.EndedByAdmin, exceptSessionId: null, ct);
        StatusMessage = $"{ended} session(s) of '{UserName}' ended and their OIDC tokens revoked.";
        return RedirectToPage(new { userName = UserName });
    }

    private async Task<Guid?> FindAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(UserName) || UserName.Length > 256)
        {
            return null;
        }

        var normalized = UserName.Trim().ToUpperInvariant();
        var ids = await db.Users.AsNoTracking().Where(u => u.NormalizedUserName == normalized).Select(u => u.Id).ToListAsync(ct);
        return ids.Count == 1 ? ids[0] : null;
    }
}
