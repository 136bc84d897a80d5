using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Admin.Users;

/// <summary>An administrator's view of one user's MFA: factors, requirement, "reset MFA" (lost phone) and "force enrolment".</summary>
public sealed class MfaModel(LatchkeyDbContext db, MfaFactors factors, MfaAdministration administration, IOptions<LatchkeyOptions> options) : AdminPageModel
{
    [BindProperty(SupportsGet = true)]
    public string? UserName { get; set; }

    public UserFactors Factors { get; private set; } = new(false, 0, 0, false);

    public MfaRequirement Requirement { get; private set; }

    public MfaGlobalPolicy GlobalPolicy => options.Value.Mfa.PolicyKind;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var user = await FindAsync(ct);
        if (user is null)
        {
            return NotFound();
        }

        Factors = await factors.GetAsync(user, ct);
        Requirement = user.MfaRequirement;
        return Page();
    }

    public async Task<IActionResult> OnPostResetAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(UserName) || !await administration.ResetAsync(UserName, ct))
        {
            return NotFound();
        }

        StatusMessage = $"MFA of '{UserName}' reset: every factor removed and every session ended.";
        return RedirectToPage(new { userName = UserName });
    }

    public Task<IActionResult> OnPostRequireAsync(CancellationToken ct) => SetAsync(MfaRequirement.Required, "must now enrol a second factor at the next sign-in", ct);

    public Task<IActionResult> OnPostDefaultAsync(CancellationToken ct) => SetAsync(MfaRequirement.Default, "now follows the global MFA policy", ct);

    private async Task<IActionResult> SetAsync(MfaRequirement requirement, string outcome, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(UserName) || !await administration.SetRequirementAsync(UserName, requirement, ct))
        {
            return NotFound();
        }

        StatusMessage = $"'{UserName}' {outcome}.";
        return RedirectToPage(new { userName = UserName });
    }

    private Task<LatchkeyUser?> FindAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(UserName) || UserName.Length > 256)
        {
            return Task.FromResult<LatchkeyUser?>(null);
        }

        var normalized = UserName.Trim().ToUpperInvariant();
        return db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
    }
}
