using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Account.Passkeys;

/// <summary>
/// The signed-in user's passkeys: register (through <c>js/passkeys.js</c> and the JSON endpoints), rename, remove. Removing the
/// last second factor of a user who must use MFA is refused with a message saying what to set up first, rather than leaving an
/// account that the next sign-in would force back into enrolment.
/// </summary>
[Authorize]
public sealed class IndexModel(
    UserManager<LatchkeyUser> users,
    PasskeyCredentials credentials,
    MfaFactors factors,
    IOptions<LatchkeyOptions> options,
    IAuditLog audit) : PageModel
{
    public const string LastFactorMessage =
        "Your account requires a second factor, and this is your last one. Set up an authenticator app or register another passkey first.";

    public IReadOnlyList<PasskeySummary> Passkeys { get; private set; } = [];

    public string? StatusMessage { get; private set; }

    public string? ErrorMessage { get; private set; }

    [BindProperty]
    public string? Id { get; set; }

    [BindProperty]
    public string? Name { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await CurrentUserAsync() is not { } user)
        {
            return Challenge();
        }

        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostRenameAsync()
    {
        var ct = HttpContext.RequestAborted;
        if (await CurrentUserAsync() is not { } user)
        {
            return Challenge();
        }

        var name = PasskeyNames.Normalize(Name, out var error);
        if (name is null)
        {
            return await RefuseAsync(user, error!, StatusCodes.Status400BadRequest);
        }

        if (!await credentials.RenameAsync(user.Id, Id ?? "", name, ct))
        {
            return await RefuseAsync(user, "That passkey is not on your account (it may have been removed).", StatusCodes.Status404NotFound);
        }

        await audit.AppendAsync(MfaAuditRecords.For(PasskeyAuditEvents.Renamed, AuditOutcome.Success, user,
            new Dictionary<string, string> { ["name"] = name }), ct);
        StatusMessage = $"Passkey renamed to “{name}”.";
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync()
    {
        var ct = HttpContext.RequestAborted;
        if (await CurrentUserAsync() is not { } user)
        {
            return Challenge();
        }

        var name = await credentials.FindNameAsync(user.Id, Id ?? "", ct);
        if (name is null)
        {
            return await RefuseAsync(user, "That passkey is not on your account (it may have been removed).", StatusCodes.Status404NotFound);
        }

        var current = await factors.GetAsync(user, ct);
        var mfaRequired = MfaPolicy.RequiredForUser(options.Value.Mfa.PolicyKind, user.MfaRequirement);
        if (mfaRequired && !current.Totp && current.Passkeys <= 1)
        {
            return await RefuseAsync(user, LastFactorMessage, StatusCodes.Status409Conflict);
        }

        if (!await credentials.RemoveAsync(user.Id, Id!, ct))
        {
            return await RefuseAsync(user, "That passkey is not on your account (it may have been removed).", StatusCodes.Status404NotFound);
        }

        await factors.SyncTwoFactorFlagAsync(user.Id, ct);
        await audit.AppendAsync(MfaAuditRecords.For(PasskeyAuditEvents.Removed, AuditOutcome.Success, user,
            new Dictionary<string, string> { ["name"] = name }), ct);
        StatusMessage = current.Totp || current.Passkeys > 1
            ? $"Passkey “{name}” removed."
            : $"Passkey “{name}” removed. Your account has no second factor now.";
        await LoadAsync(user);
        return Page();
    }

    private async Task<LatchkeyUser?> CurrentUserAsync() =>
        await users.GetUserAsync(User) is { IsActive: true } user ? user : null;

    private async Task LoadAsync(LatchkeyUser user)
    {
        Passkeys = await credentials.ListAsync(user.Id, HttpContext.RequestAborted);
        Id = Name = null;
    }

    private async Task<PageResult> RefuseAsync(LatchkeyUser user, string message, int status)
    {
        ErrorMessage = message;
        Response.StatusCode = status;
        await LoadAsync(user);
        return Page();
    }
}
