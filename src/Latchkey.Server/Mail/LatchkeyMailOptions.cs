namespace Latchkey.Server.Mail;

/// <summary>How mail leaves the server: <c>None</c> (plain, for a local relay or test sink), <c>StartTls</c> or <c>SslOnConnect</c>.</summary>
public enum MailTransportSecurity
{
    None,
    StartTls,
    SslOnConnect,
}

/// <summary><c>Latchkey:Mail</c>: the SMTP relay used for password-reset, email-verification and one-time-code mails.</summary>
public sealed class LatchkeyMailOptions
{
    /// <summary>SMTP relay host; mail is off (features that need it say so) while unset.</summary>
    public string? SmtpHost { get; set; }

    /// <summary>Required with <see cref="SmtpHost"/>: 25/587 are usual with StartTls, 465 with SslOnConnect.</summary>
    public int? SmtpPort { get; set; }

    /// <summary><c>None</c>, <c>StartTls</c> (default) or <c>SslOnConnect</c>. A string so a typo gets a clear startup error.</summary>
    public string UseTls { get; set; } = nameof(MailTransportSecurity.StartTls);

    /// <summary>Optional SMTP AUTH user; set with <see cref="Password"/>.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Sender, e.g. <c>Latchkey &lt;sso@example.com&gt;</c>; required with <see cref="SmtpHost"/>.</summary>
    public string? From { get; set; }

    /// <summary>
    /// Absolute URL that links in mails start with (e.g. <c>https://sso.example.com/</c>). Set it in production: when unset
    /// links use the request's own scheme and host, which only <c>AllowedHosts</c> keeps an attacker from choosing.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Connect/send timeout.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether an SMTP host is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(SmtpHost);

    public bool TryGetTransportSecurity(out MailTransportSecurity security)
    {
        var name = Enum.GetNames<MailTransportSecurity>().FirstOrDefault(n => string.Equals(n, UseTls?.Trim(), StringComparison.OrdinalIgnoreCase));
        security = name is null ? default : Enum.Parse<MailTransportSecurity>(name);
        return name is not null;
    }
}
