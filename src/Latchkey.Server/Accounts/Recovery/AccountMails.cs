using System.Text.Encodings.Web;
using Latchkey.Server.Hosting;
using Latchkey.Server.Mail;
using Latchkey.Server.Storage;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Recovery;

/// <summary>Writes and queues the password-reset and e-mail verification mails with their one-time links.</summary>
public sealed class AccountMails(AccountLinkTokens tokens, AccountMailQueue queue, ILatchkeyMailer mailer, IOptions<LatchkeyOptions> options)
{
    public bool IsAvailable => mailer.IsConfigured;

    public bool SendPasswordReset(HttpRequest request, LatchkeyUser user)
    {
        var link = Link(request, "/account/reset-password", tokens.Create(user, AccountLinkPurpose.PasswordReset));
        var minutes = (int)tokens.LifetimeOf(AccountLinkPurpose.PasswordReset).TotalMinutes;
        return Queue(user.Email!, "Reset your Latchkey password",
            $"""
            Someone (hopefully you) asked to reset the password of the Latchkey account '{user.UserName}'.

            To choose a new password, open this link within {minutes} minutes. It works once:
            {link}

            If you did not ask for this, ignore this mail; your password stays as it is.
            """);
    }

    public bool SendEmailVerification(HttpRequest request, LatchkeyUser user, string email)
    {
        var link = Link(request, "/account/confirm-email", tokens.Create(user, AccountLinkPurpose.ConfirmEmail, email));
        var hours = (int)tokens.LifetimeOf(AccountLinkPurpose.ConfirmEmail).TotalHours;
        return Queue(email, "Confirm your e-mail address for Latchkey",
            $"""
            Please confirm that {email} belongs to the Latchkey account '{user.UserName}'.

            Open this link within {hours} hours to confirm it:
            {link}

            If you did not ask for this, ignore this mail.
            """);
    }

    private bool Queue(string to, string subject, string text)
    {
        var html = "<p>" + HtmlEncoder.Default.Encode(text).Replace("\n\n", "</p><p>", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal) + "</p>";
        return queue.TryEnqueue(new AccountMail(to, subject, text, html));
    }

    private string Link(HttpRequest request, string path, string token)
    {
        var configured = options.Value.Mail.PublicBaseUrl;
        var baseUrl = string.IsNullOrEmpty(configured)
            ? $"{request.Scheme}://{request.Host}{request.PathBase}"
            : configured.TrimEnd('/');
        return $"{baseUrl}{path}?token={Uri.EscapeDataString(token)}";
    }
}
