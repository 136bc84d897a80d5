using Latchkey.Server.Hosting;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Latchkey.Server.Mail;

/// <summary>
/// <see cref="ILatchkeyMailer"/> over MailKit. One connection per mail: account mails are rare, and a pooled connection
/// would need keep-alive and reconnect logic for no measurable gain.
/// </summary>
public sealed class SmtpLatchkeyMailer(IOptionsMonitor<LatchkeyOptions> options, ILogger<SmtpLatchkeyMailer> logger) : ILatchkeyMailer
{
    public bool IsConfigured => options.CurrentValue.Mail.IsConfigured;

    public async Task SendAsync(string toAddress, string subject, string textBody, string? htmlBody, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toAddress);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(textBody);

        var mail = options.CurrentValue.Mail;
        if (!mail.IsConfigured)
        {
            throw new MailNotConfiguredException();
        }

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(mail.From!));
        message.To.Add(MailboxAddress.Parse(toAddress));
        message.Subject = subject;
        var body = new BodyBuilder { TextBody = textBody, HtmlBody = htmlBody };
        message.Body = body.ToMessageBody();

        mail.TryGetTransportSecurity(out var security);
        var socketOptions = security switch
        {
            MailTransportSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            MailTransportSecurity.StartTls => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };

        using var client = new SmtpClient { Timeout = (int)mail.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(mail.SmtpHost!.Trim(), mail.SmtpPort!.Value, socketOptions, ct);
            if (!string.IsNullOrWhiteSpace(mail.Username))
            {
                await client.AuthenticateAsync(mail.Username, mail.Password ?? "", ct);
            }

            await client.SendAsync(message, ct);
            await client.DisconnectAsync(quit: true, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is (MailKit.ProtocolException or MailKit.CommandException or IOException
                                      or System.Net.Sockets.SocketException or AuthenticationException or TimeoutException))
        {
            // Address and subject only: the body carries one-time links.
            logger.LogWarning("Mail '{Subject}' could not be delivered via {Host}:{Port}: {Error}", subject, mail.SmtpHost, mail.SmtpPort, e.Message);
            throw new MailDeliveryException($"The mail relay {mail.SmtpHost}:{mail.SmtpPort} could not deliver the mail ({e.GetType().Name}).", e);
        }
    }
}
