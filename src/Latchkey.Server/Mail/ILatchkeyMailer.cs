namespace Latchkey.Server.Mail;

/// <summary>Sends one mail through the configured SMTP relay.</summary>
public interface ILatchkeyMailer
{
    /// <summary>Whether <c>Latchkey:Mail</c> names a relay; features that need mail check this to explain themselves up front.</summary>
    bool IsConfigured { get; }

    /// <exception cref="MailNotConfiguredException">No relay is configured.</exception>
    /// <exception cref="MailDeliveryException">The relay could not be reached or refused the mail.</exception>
    Task SendAsync(string toAddress, string subject, string textBody, string? htmlBody, CancellationToken ct);
}

/// <summary>The relay could not be reached or refused the mail; the message never contains the mail's body.</summary>
public sealed class MailDeliveryException(string message, Exception inner) : Exception(message, inner);
