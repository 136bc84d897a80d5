using Latchkey.Server.Audit;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Change password with the current one. A wrong current password counts towards the lockout (a stolen session must not
/// become an unlimited password oracle). Success ends every OTHER session and revokes their tokens; this one is renewed.
/// </summary>
[Authorize]
public sealed class PasswordModel(UserManager<LatchkeyUser> users, UserSessionRevoker revoker, LatchkeySignIn signIn, IAuditLog audit) : PageModel
{
    public const string WrongCurrentPasswordMessage = "The current password is not correct.";

    [BindProperty]
    public string? CurrentPassword { get; set; }

    [BindProperty]
    public string? NewPassword { get; set; }

    [BindProperty]
    public string? ConfirmPassword { get; set; }

    public List<string> Errors { get; } = [];

    public bool Changed { get; private set; }

    public int OtherSessionsEnded { get; private set; }

    public IActionResult OnGet() => Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var current = CurrentPassword ?? "";
        var password = NewPassword ?? "";
        var confirm = ConfirmPassword ?? "";
        CurrentPassword = NewPassword = ConfirmPassword = null;

        if (await users.GetUserAsync(User) is not { } user)
        {
            return Challenge();
        }

        if (current.Length == 0 || current.Length > 4096 || await users.IsLockedOutAsync(user) || !await users.CheckPasswordAsync(user, current))
        {
            if (current.Length > 0 && !await users.IsLockedOutAsync(user))
            {
                await users.AccessFailedAsync(user);
            }

            await audit.AppendAsync(new AuditRecord("password.change_failed", AuditOutcome.Failure)
            {
                SubjectId = user.Id,
                SubjectName = user.UserName,
                Details = new Dictionary<string, string> { ["reason"] = "wrong_current_password" },
            });
            return Invalid(WrongCurrentPasswordMessage);
        }

        if (!string.Equals(password, confirm, StringComparison.Ordinal))
        {
            return Invalid("The two new passwords do not match.");
        }

        // Validates the new password (policy) and renews the security stamp in the same update.
        var result = await users.ChangePasswordAsync(user, current, password);
        if (!result.Succeeded)
        {
            Errors.AddRange(result.Errors.Select(e => e.Description));
            return Invalid(null);
        }

        var thisSession = User.GetSsoSessionId();
        OtherSessionsEnded = await revoker.RevokeAllAsync(user.Id, SsoSessionEndReasons.PasswordChanged, thisSession, HttpContext.RequestAborted);
        // The new stamp would end this browser's cookie at the next validation too; re-issue it for the same session.
        var methods = User.GetAuthenticationMethods();
        await signIn.SignInAsync(user, methods.Count > 0 ? methods : ["pwd"], isPersistent: false);
        await audit.AppendAsync(new AuditRecord("password.changed", AuditOutcome.Success) { SubjectId = user.Id, SubjectName = user.UserName });
        Changed = true;
        return Page();
    }

    private PageResult Invalid(string? message)
    {
        if (message is not null)
        {
            Errors.Add(message);
        }

        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}
