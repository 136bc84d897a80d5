using Latchkey.Server.Accounts.Recovery;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// E-mail verification: a signed-in user asks for a link (to the current address, or to a new one from the profile page);
/// opening the link shows a confirm button (mail scanners prefetch links) and the POST sets the address as confirmed.
/// </summary>
[AllowAnonymous]
public sealed class ConfirmEmailModel(AccountLinkTokens tokens, AccountMails mails, UserManager<LatchkeyUser> users, IAuditLog audit) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    public string? Email { get; private set; }

    public bool EmailConfirmed { get; private set; }

    public string? Message { get; private set; }

    public string? ErrorMessage { get; private set; }

    public bool Confirmed { get; private set; }

    public bool MailAvailable => mails.IsAvailable;

    public async Task<IActionResult> OnGetAsync()
    {
        if (Token is not null)
        {
            var link = await tokens.OpenAsync(Token, AccountLinkPurpose.ConfirmEmail);
            if (link.Status != AccountLinkStatus.Valid)
            {
                return BadLink(link.Status);
            }

            Email = link.Email;
            return Page();
        }

        return await ShowOwnAddressAsync();
    }

    /// <summary>Confirms the address in the link.</summary>
    public async Task<IActionResult> OnPostConfirmAsync()
    {
        var link = await tokens.OpenAsync(Token, AccountLinkPurpose.ConfirmEmail);
        if (link.Status != AccountLinkStatus.Valid)
        {
            return BadLink(link.Status);
        }

        var user = link.User!;
        var previous = user.Email;
        var changed = !string.Equals(previous, link.Email, StringComparison.OrdinalIgnoreCase);
        user.Email = link.Email;
        user.NormalizedEmail = users.NormalizeEmail(link.Email);
        user.EmailConfirmed = true;
        var result = await users.UpdateAsync(user);
        if (!result.Succeeded)
        {
            ErrorMessage = "The address could not be confirmed right now; open the link again.";
            return Page();
        }

        await audit.AppendAsync(new AuditRecord(changed ? "account.email_changed" : "account.email_confirmed", AuditOutcome.Success)
        {
            ActorId = user.Id,
            ActorName = user.UserName,
            SubjectId = user.Id,
            SubjectName = user.UserName,
        });
        Confirmed = true;
        Email = user.Email;
        Token = null;
        return Page();
    }

    /// <summary>Sends a verification link to the signed-in user's current address.</summary>
    public async Task<IActionResult> OnPostSendAsync()
    {
        if (User.Identity?.IsAuthenticated != true || await users.GetUserAsync(User) is not { } user)
        {
            return Challenge();
        }

        if (!mails.IsAvailable)
        {
            ErrorMessage = ForgotPasswordModel.UnavailableMessage.Replace("Password reset", "E-mail verification", StringComparison.Ordinal);
            return await ShowOwnAddressAsync(StatusCodes.Status503ServiceUnavailable);
        }

        if (string.IsNullOrWhiteSpace(user.Email))
        {
            ErrorMessage = "Your account has no e-mail address; add one on your profile page.";
            return await ShowOwnAddressAsync(StatusCodes.Status400BadRequest);
        }

        if (user.EmailConfirmed)
        {
            return await ShowOwnAddressAsync();
        }

        if (!mails.SendEmailVerification(Request, user, user.Email))
        {
            ErrorMessage = "Too many mails are waiting to be sent; try again in a minute.";
            return await ShowOwnAddressAsync(StatusCodes.Status503ServiceUnavailable);
        }

        Message = $"A verification link has been sent to {user.Email}.";
        return await ShowOwnAddressAsync();
    }

    public static string MessageFor(AccountLinkStatus status) => status switch
    {
        AccountLinkStatus.Expired => "This verification link has expired. Sign in and request a new one from your account page.",
        AccountLinkStatus.Used => "This verification link has already been used (or the address was changed since it was sent).",
        _ => "This verification link is not valid. Check that you copied the whole link.",
    };

    private async Task<IActionResult> ShowOwnAddressAsync(int status = StatusCodes.Status200OK)
    {
        if (User.Identity?.IsAuthenticated != true || await users.GetUserAsync(User) is not { } user)
        {
            return Challenge();
        }

        Email = user.Email;
        EmailConfirmed = user.EmailConfirmed;
        Token = null;
        var page = Page();
        page.StatusCode = status;
        return page;
    }

    private PageResult BadLink(AccountLinkStatus status)
    {
        ErrorMessage = MessageFor(status);
        Token = null;
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}
