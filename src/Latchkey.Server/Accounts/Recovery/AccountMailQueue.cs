using System.Threading.Channels;
using Latchkey.Server.Mail;

namespace Latchkey.Server.Accounts.Recovery;

/// <summary>One account mail waiting to be sent.</summary>
public sealed record AccountMail(string To, string Subject, string TextBody, string HtmlBody);

/// <summary>
/// Account mails are sent in the background, so "forgot password" answers in the same time whether or not a mail goes out
/// (the SMTP round trip would otherwise tell which addresses have accounts). Bounded: a flood drops mails, never memory.
/// </summary>
public sealed class AccountMailQueue
{
    private readonly Channel<AccountMail> _channel = Channel.CreateBounded<AccountMail>(new BoundedChannelOptions(1000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    public bool TryEnqueue(AccountMail mail) => _channel.Writer.TryWrite(mail);

    internal ChannelReader<AccountMail> Reader => _channel.Reader;
}

/// <summary>Sends queued account mails; failures are logged (without the body, which holds the one-time link).</summary>
public sealed class AccountMailSender(AccountMailQueue queue, ILatchkeyMailer mailer, ILogger<AccountMailSender> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var mail in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await mailer.SendAsync(mail.To, mail.Subject, mail.TextBody, mail.HtmlBody, stoppingToken);
            }
            catch (Exception e) when (e is MailDeliveryException or MailNotConfiguredException)
            {
                logger.LogWarning("Account mail '{Subject}' was not sent: {Error}", mail.Subject, e.Message);
            }
        }
    }
}
