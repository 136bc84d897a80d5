using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Recovery;

/// <summary>What a mailed link is for.</summary>
public enum AccountLinkPurpose
{
    PasswordReset,
    ConfirmEmail,
}

/// <summary>The outcome of opening a link; each has its own message for the user.</summary>
public enum AccountLinkStatus
{
    Valid,

    /// <summary>Not a link we issued (tampered, truncated, other server's keys, unknown or disabled user).</summary>
    Invalid,

    Expired,

    /// <summary>Already used, or superseded (password/e-mail changed since the link was sent).</summary>
    Used,
}

/// <summary>An opened link: its status and, when valid, the user and the e-mail address it confirms.</summary>
public sealed record AccountLink(AccountLinkStatus Status, LatchkeyUser? User = null, string? Email = null)
{
    public static readonly AccountLink Invalid = new(AccountLinkStatus.Invalid);
}

/// <summary>
/// Signed, expiring, one-time links for password reset and e-mail verification, without a table: the token is Data
/// Protection-encrypted (authenticated) and carries its purpose, user, expiry (from <see cref="TimeProvider"/>), a hash of
/// the user's security stamp and the e-mail addresses involved. Resetting the password renews the stamp and confirming the
/// address changes the e-mail state, so a used link no longer matches: that is what makes it one-time.
/// </summary>
public sealed class AccountLinkTokens(IDataProtectionProvider dataProtection, UserManager<LatchkeyUser> users, TimeProvider time, IOptions<LatchkeyOptions> options)
{
    private readonly IDataProtector _protector = dataProtection.CreateProtector("Latchkey.AccountLink.v1");

    public TimeSpan LifetimeOf(AccountLinkPurpose purpose) => purpose == AccountLinkPurpose.PasswordReset
        ? options.Value.Accounts.Links.PasswordResetLifetime
        : options.Value.Accounts.Links.EmailVerificationLifetime;

    /// <summary>A token for <paramref name="user"/>; for <see cref="AccountLinkPurpose.ConfirmEmail"/>, <paramref name="email"/> is the address to confirm.</summary>
    public string Create(LatchkeyUser user, AccountLinkPurpose purpose, string? email = null)
    {
        var payload = new Payload(
            purpose,
            user.Id,
            (time.GetUtcNow() + LifetimeOf(purpose)).ToUnixTimeSeconds(),
            StampHash(user, purpose),
            user.Email ?? "",
            purpose == AccountLinkPurpose.ConfirmEmail ? email ?? user.Email ?? "" : "");
        return _protector.Protect(JsonSerializer.Serialize(payload));
    }

    public async Task<AccountLink> OpenAsync(string? token, AccountLinkPurpose purpose)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 4096)
        {
            return AccountLink.Invalid;
        }

        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(_protector.Unprotect(token.Trim()));
        }
        catch (Exception e) when (e is CryptographicException or FormatException or JsonException)
        {
            return AccountLink.Invalid;
        }

        if (payload is null || payload.Purpose != purpose)
        {
            return AccountLink.Invalid;
        }

        if (time.GetUtcNow() >= DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt))
        {
            return new AccountLink(AccountLinkStatus.Expired);
        }

        var user = await users.FindByIdAsync(payload.UserId.ToString());
        if (user is null || !user.IsActive)
        {
            return AccountLink.Invalid;
        }

        var stampMatches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(StampHash(user, purpose)), Encoding.ASCII.GetBytes(payload.Stamp));
        var sameAddress = string.Equals(user.Email ?? "", payload.CurrentEmail, StringComparison.OrdinalIgnoreCase);
        if (!stampMatches || !sameAddress)
        {
            return new AccountLink(AccountLinkStatus.Used, user);
        }

        if (purpose == AccountLinkPurpose.ConfirmEmail && user.EmailConfirmed && string.Equals(user.Email, payload.TargetEmail, StringComparison.OrdinalIgnoreCase))
        {
            return new AccountLink(AccountLinkStatus.Used, user, payload.TargetEmail);
        }

        return new AccountLink(AccountLinkStatus.Valid, user, purpose == AccountLinkPurpose.ConfirmEmail ? payload.TargetEmail : user.Email);
    }

    // The stamp itself never leaves the server; a purpose-bound hash is enough to notice it changed.
    private static string StampHash(LatchkeyUser user, AccountLinkPurpose purpose) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{purpose}\n{user.SecurityStamp}")), 0, 18);

    private sealed record Payload(AccountLinkPurpose Purpose, Guid UserId, long ExpiresAt, string Stamp, string CurrentEmail, string TargetEmail);
}
