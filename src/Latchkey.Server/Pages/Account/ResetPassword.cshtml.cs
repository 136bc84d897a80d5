using Latchkey.Server.Accounts.Recovery;
using Latchkey.Server.Audit;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Sets a new password from a mailed one-time link. Opening the link only shows the form (mail scanners prefetch links);
/// the POST checks the link again, validates the password, then in one update stores the hash, renews the security stamp
/// (which also retires the link) and ends the lockout; then ends every session and revokes the user's tokens.
/// </summary>
[AllowAnonymous]
public sealed class ResetPasswordModel(
    AccountLinkTokens tokens,
    UserManager<LatchkeyUser> users,
    UserSessionRevoker revoker,
    IAuditLog audit,
    ILogger<ResetPasswordModel> logger) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    public string? NewPassword { get; set; }

    [BindProperty]
    public string? ConfirmPassword { get; set; }

    public string? LinkError { get; private set; }

    public IReadOnlyList<string> Errors { get; private set; } = [];

    public bool Done { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var link = await tokens.OpenAsync(Token, AccountLinkPurpose.PasswordReset);
        return link.Status == AccountLinkStatus.Valid ? Page() : BadLink(link.Status);
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var password = NewPassword ?? "";
        var confirm = ConfirmPassword ?? "";
        NewPassword = ConfirmPassword = null;

        var link = await tokens.OpenAsync(Token, AccountLinkPurpose.PasswordReset);
        if (link.Status != AccountLinkStatus.Valid)
        {
            return BadLink(link.Status);
        }

        var user = link.User!;
        if (!string.Equals(password, confirm, StringComparison.Ordinal))
        {
            Errors = ["The two passwords do not match."];
            return Page();
        }

        var problems = new List<string>();
        foreach (var validator in users.PasswordValidators)
        {
            problems.AddRange((await validator.ValidateAsync(users, user, password)).Errors.Select(e => e.Description));
        }

        if (problems.Count > 0)
        {
            Errors = problems;
            return Page();
        }

        // Whoever controls the mailbox may sign in again at once: the reset also ends the lockout (same update).
        user.LockoutEnd = null;
        user.AccessFailedCount = 0;
        var result = await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), password);
        if (!result.Succeeded)
        {
            logger.LogWarning("Password reset of user {UserId} failed: {Errors}", user.Id, string.Join(", ", result.Errors.Select(e => e.Code)));
            Errors = [.. result.Errors.Select(e => e.Description)];
            return Page();
        }

        await revoker.RevokeAllAsync(user.Id, SsoSessionEndReasons.PasswordReset, exceptSessionId: null, HttpContext.RequestAborted);
        await audit.AppendAsync(new AuditRecord("password.reset", AuditOutcome.Success) { ActorId = user.Id, ActorName = user.UserName, SubjectId = user.Id, SubjectName = user.UserName });
        Done = true;
        Token = null;
        return Page();
    }

    /// <summary>The message for a link that cannot be used.</summary>
    public static string MessageFor(AccountLinkStatus status) => status switch
    {
        AccountLinkStatus.Expired => "This password-reset link has expired. Request a new one.",
        AccountLinkStatus.Used => "This password-reset link has already been used (or the password was changed since it was sent). Request a new one.",
        _ => "This password-reset link is not valid. Check that you copied the whole link, or request a new one.",
    };

    private PageResult BadLink(AccountLinkStatus status)
    {
        LinkError = MessageFor(status);
        Token = null;
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}
