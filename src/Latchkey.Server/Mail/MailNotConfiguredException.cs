namespace Latchkey.Server.Mail;

/// <summary>Thrown by <see cref="ILatchkeyMailer.SendAsync"/> when <c>Latchkey:Mail:SmtpHost</c> is not set.</summary>
public sealed class MailNotConfiguredException()
    : InvalidOperationException("Mail is not configured on this server (Latchkey:Mail:SmtpHost); ask an administrator.");
