using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Latchkey.Server.Hosting.RateLimiting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Account.Mfa;

/// <summary>The user's second factors: TOTP on/off, recovery codes left and regeneration, email codes, passkeys.</summary>
[Authorize]
[EnableRateLimiting(RateLimitPolicies.Mfa)]
public sealed class IndexModel(
    UserManager<LatchkeyUser> users,
    MfaFactors factors,
    TotpAuthenticators totp,
    RecoveryCodes recoveryCodes,
    IOptions<LatchkeyOptions> options,
    IAuditLog audit) : PageModel
{
    [BindProperty]
    public string? Code { get; set; }

    public UserFactors Factors { get; private set; } = new(false, 0, 0, false);

    public bool HasConfirmedEmail { get; private set; }

    public bool Required { get; private set; }

    public string? ErrorMessage { get; private set; }

    [TempData]
    public string? StatusMessage { get; set; }

    public IReadOnlyList<string>? NewRecoveryCodes { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Challenge();
        }

        await LoadAsync(user);
        return Page();
    }

    /// <summary>Turning TOTP off needs a current code: a session left open on a shared computer must not be enough.</summary>
    public async Task<IActionResult> OnPostDisableTotpAsync()
    {
        var ct = HttpContext.RequestAborted;
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Challenge();
        }

        var result = await totp.VerifyAsync(user.Id, Code, ct);
        if (result != TotpVerification.Accepted)
        {
            await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.VerificationFailed, AuditOutcome.Failure, user,
                new Dictionary<string, string> { ["reason"] = MfaAuditEvents.Reasons.WrongCode, ["factor"] = "totp", ["action"] = "disable_totp" }), ct);
            await LoadAsync(user);
            ErrorMessage = result == TotpVerification.Replayed
                ? "That code was already used. Wait for the next code."
                : "That code is not valid; TOTP stays on.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await totp.DisableAsync(user.Id, ct);
        await factors.SyncTwoFactorFlagAsync(user.Id, ct);
        var remaining = await factors.GetAsync(user, ct);
        if (!remaining.HasEnrolledFactor)
        {
            // Recovery codes stand in for an enrolled factor; with none left they would be a factor of their own.
            await recoveryCodes.RemoveAllAsync(user.Id, ct);
        }

        await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.TotpDisabled, AuditOutcome.Success, user), ct);
        StatusMessage = "Authenticator app turned off.";
        return RedirectToPage();
    }

    /// <summary>New codes replace all old ones; only from a multi-factor session.</summary>
    public async Task<IActionResult> OnPostRegenerateCodesAsync()
    {
        var ct = HttpContext.RequestAborted;
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Challenge();
        }

        if (!AppSignInGate.IsMultiFactor(User))
        {
            return Redirect(AppSignInGate.RedirectFor(AppGateDecision.StepUp, "/account/mfa"));
        }

        var current = await factors.GetAsync(user, ct);
        if (!current.HasEnrolledFactor)
        {
            await LoadAsync(user);
            ErrorMessage = "Set up an authenticator app or a passkey first; recovery codes back those up.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        NewRecoveryCodes = await recoveryCodes.RegenerateAsync(user.Id, ct);
        await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.RecoveryCodesGenerated, AuditOutcome.Success, user), ct);
        await LoadAsync(user);
        return Page();
    }

    private async Task LoadAsync(LatchkeyUser user)
    {
        Factors = await factors.GetAsync(user, HttpContext.RequestAborted);
        HasConfirmedEmail = EmailCodes.HasConfirmedAddress(user);
        Required = MfaPolicy.RequiredForUser(options.Value.Mfa.PolicyKind, user.MfaRequirement);
    }
}
