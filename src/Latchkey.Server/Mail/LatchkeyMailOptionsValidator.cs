using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Latchkey.Server.Mail;

/// <summary>Rejects a half-configured relay at startup instead of at the first password reset.</summary>
public sealed class LatchkeyMailOptionsValidator : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        var mail = options.Mail;
        var failures = new List<string>();

        if (!mail.TryGetTransportSecurity(out _))
        {
            failures.Add($"Latchkey:Mail:UseTls must be 'None', 'StartTls' or 'SslOnConnect' (got '{mail.UseTls}').");
        }

        if (mail.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"Latchkey:Mail:Timeout must be a positive duration such as 00:00:30 (got {mail.Timeout}).");
        }

        if (mail.PublicBaseUrl is { Length: > 0 } baseUrl
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)))
        {
            failures.Add($"Latchkey:Mail:PublicBaseUrl must be an absolute http(s) URL without query or fragment, e.g. https://sso.example.com/ (got '{baseUrl}').");
        }

        if (!mail.IsConfigured)
        {
            if (mail.SmtpPort is not null || !string.IsNullOrWhiteSpace(mail.Username) || !string.IsNullOrWhiteSpace(mail.From))
            {
                failures.Add("Latchkey:Mail:SmtpHost is required when other Latchkey:Mail settings (SmtpPort, Username, From) are set.");
            }

            return Result(failures);
        }

        if (mail.SmtpHost!.Trim().Contains(':', StringComparison.Ordinal) && !System.Net.IPAddress.TryParse(mail.SmtpHost.Trim(), out _))
        {
            failures.Add($"Latchkey:Mail:SmtpHost must be a host name without a port; put the port in Latchkey:Mail:SmtpPort (got '{mail.SmtpHost}').");
        }

        if (mail.SmtpPort is null)
        {
            failures.Add("Latchkey:Mail:SmtpPort is required when Latchkey:Mail:SmtpHost is set (587 for StartTls, 465 for SslOnConnect, 25 for a local relay).");
        }
        else if (mail.SmtpPort is < 1 or > 65535)
        {
            failures.Add($"Latchkey:Mail:SmtpPort must be between 1 and 65535 (got {mail.SmtpPort}).");
        }

        if (string.IsNullOrWhiteSpace(mail.From))
        {
            failures.Add("Latchkey:Mail:From is required when Latchkey:Mail:SmtpHost is set, e.g. 'Latchkey <sso@example.com>'.");
        }
        else if (!MailboxAddress.TryParse(mail.From, out var from) || string.IsNullOrEmpty(from.Address) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            failures.Add($"Latchkey:Mail:From must be a mail address such as 'Latchkey <sso@example.com>' (got '{mail.From}').");
        }

        if (string.IsNullOrWhiteSpace(mail.Username) != string.IsNullOrEmpty(mail.Password))
        {
            failures.Add("Latchkey:Mail:Username and Latchkey:Mail:Password must be set together (or neither, for a relay without SMTP AUTH).");
        }

        return Result(failures);
    }

    private static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
