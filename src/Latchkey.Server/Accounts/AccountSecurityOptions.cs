namespace Latchkey.Server.Accounts;

/// <summary><c>Latchkey:Accounts:Links</c>: lifetimes of the one-time links sent by mail.</summary>
public sealed class AccountLinkOptions
{
    /// <summary>Short: whoever reads the mailbox can take the account while the link lives (OWASP suggests minutes, not days).</summary>
    public TimeSpan PasswordResetLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan EmailVerificationLifetime { get; set; } = TimeSpan.FromHours(24);
}
