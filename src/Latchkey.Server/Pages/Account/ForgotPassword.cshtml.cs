using Latchkey.Server.Accounts.Recovery;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Asks for a password-reset link. The answer (text, status, time: the mail goes out in the background) is the same
/// whether or not an account matches, so the page cannot be used to find out who has an account.
/// </summary>
[AllowAnonymous]
public sealed class ForgotPasswordModel(UserManager<LatchkeyUser> users, LatchkeyDbContext db, AccountMails mails, IAuditLog audit) : PageModel
{
    public const string SentMessage = "If an account matches, a link to reset its password has been sent to its e-mail address. The link works once and expires soon.";
    public const string UnavailableMessage = "Password reset by e-mail is not available on this server (no mail relay is configured). Ask an administrator to reset your password.";

    // A shared address may belong to a few accounts; more than this is not a person's mailbox worth flooding.
    private const int MaxAccountsPerAddress = 5;

    [BindProperty]
    public string? Email { get; set; }

    public string? Message { get; private set; }

    public string? ErrorMessage { get; private set; }

    public bool Available => mails.IsAvailable;

    public IActionResult OnGet() => Available ? Page() : Unavailable();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!Available)
        {
            return Unavailable();
        }

        var input = Email?.Trim();
        if (string.IsNullOrEmpty(input) || input.Length > 256)
        {
            ErrorMessage = "Enter your user name or e-mail address (at most 256 characters).";
            return Page();
        }

        var matches = new List<LatchkeyUser>();
        if (await users.FindByNameAsync(input) is { } byName)
        {
            matches.Add(byName);
        }

        var normalizedEmail = users.NormalizeEmail(input);
        matches.AddRange(await db.Set<LatchkeyUser>()
            .Where(u => u.NormalizedEmail == normalizedEmail)
            .OrderBy(u => u.CreatedAt)
            .Take(MaxAccountsPerAddress)
            .ToListAsync(HttpContext.RequestAborted));

        foreach (var user in matches.DistinctBy(u => u.Id).Where(u => u.IsActive && !string.IsNullOrWhiteSpace(u.Email)))
        {
            if (mails.SendPasswordReset(Request, user))
            {
                await audit.AppendAsync(new AuditRecord("password.reset_requested", AuditOutcome.Success) { SubjectId = user.Id, SubjectName = user.UserName });
            }
        }

        Email = null;
        Message = SentMessage;
        return Page();
    }

    private PageResult Unavailable()
    {
        ErrorMessage = UnavailableMessage;
        var page = Page();
        page.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return page;
    }
}
