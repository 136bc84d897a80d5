using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Accounts.Recovery;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Name and e-mail address. A new address is not stored until its owner opens the link mailed to it: the address is where
/// password-reset links go, so taking over a session must not be enough to redirect them.
/// </summary>
[Authorize]
public sealed class ProfileModel(UserManager<LatchkeyUser> users, AccountMails mails, IAuditLog audit) : PageModel
{
    private const int MaxNameLength = 150;
    private const int MaxEmailLength = 256;

    [BindProperty]
    public string? FirstName { get; set; }

    [BindProperty]
    public string? LastName { get; set; }

    [BindProperty]
    public string? Email { get; set; }

    public string? CurrentEmail { get; private set; }

    public bool CurrentEmailConfirmed { get; private set; }

    public List<string> Errors { get; } = [];

    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await users.GetUserAsync(User) is not { } user)
        {
            return Challenge();
        }

        Show(user);
        FirstName = user.FirstName;
        LastName = user.LastName;
        Email = user.Email;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is not { } user)
        {
            return Challenge();
        }

        var first = FirstName?.Trim() ?? "";
        var last = LastName?.Trim() ?? "";
        var email = Email?.Trim() ?? "";
        if (first.Length > MaxNameLength || last.Length > MaxNameLength)
        {
            Errors.Add($"First and last name can be at most {MaxNameLength} characters.");
        }

        var emailChanged = !string.Equals(email, user.Email ?? "", StringComparison.OrdinalIgnoreCase);
        if (emailChanged && (email.Length == 0 || email.Length > MaxEmailLength || !new EmailAddressAttribute().IsValid(email)))
        {
            Errors.Add($"'{email}' is not an e-mail address.");
        }
        else if (emailChanged && !mails.IsAvailable)
        {
            Errors.Add("Changing the e-mail address needs a verification mail, and this server has no mail relay configured; ask an administrator.");
        }

        if (Errors.Count > 0)
        {
            Show(user);
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }

        if (first != user.FirstName || last != user.LastName)
        {
            user.FirstName = first;
            user.LastName = last;
            var saved = await users.UpdateAsync(user);
            if (!saved.Succeeded)
            {
                Errors.AddRange(saved.Errors.Select(e => e.Description));
                Show(user);
                return Page();
            }

            await audit.AppendAsync(new AuditRecord("account.profile_updated", AuditOutcome.Success) { SubjectId = user.Id, SubjectName = user.UserName });
        }

        Message = "Profile saved.";
        if (emailChanged)
        {
            Message = mails.SendEmailVerification(Request, user, email)
                ? $"Profile saved. A confirmation link has been sent to {email}; your address changes when you open it."
                : "Profile saved, but the confirmation mail could not be queued; try again in a minute.";
        }

        Show(user);
        Email = email;
        return Page();
    }

    private void Show(LatchkeyUser user)
    {
        CurrentEmail = user.Email;
        CurrentEmailConfirmed = user.EmailConfirmed;
    }
}
