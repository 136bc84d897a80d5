using System.Security.Cryptography;
using System.Text;
using Latchkey.Server.Hosting;
using Latchkey.Server.Mail;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>Outcome of checking an emailed code.</summary>
public enum EmailCodeVerification
{
    Accepted,
    WrongCode,

    /// <summary>No live code: never sent, expired, used, or out of attempts. The user asks for a new one.</summary>
    NoActiveCode,
}

/// <summary>
/// The email one-time code, a fallback second factor for users with a confirmed address: 6 digits, stored hashed, one live code
/// per user, expiring (<see cref="LatchkeyMfaOptions.EmailCodeLifetime"/>), a few attempts. Accepting deletes the row with a
/// conditional DELETE, so a code works once even when submitted twice at the same moment.
/// </summary>
public sealed class EmailCodes(LatchkeyDbContext db, ILatchkeyMailer mailer, IOptions<LatchkeyOptions> options, TimeProvider time)
{
    public const int Digits = 6;

    private LatchkeyMfaOptions Options => options.Value.Mfa;

    /// <summary>Whether this user can receive codes at all (confirmed address, mail configured).</summary>
    public bool IsAvailableFor(LatchkeyUser user) => mailer.IsConfigured && HasConfirmedAddress(user);

    public static bool HasConfirmedAddress(LatchkeyUser user) => user.EmailConfirmed && !string.IsNullOrWhiteSpace(user.Email);

    /// <summary>Creates a new code (replacing any live one) and mails it.</summary>
    /// <exception cref="MailNotConfiguredException">No SMTP relay is configured.</exception>
    public async Task SendAsync(LatchkeyUser user, CancellationToken ct)
    {
        if (!HasConfirmedAddress(user))
        {
            throw new InvalidOperationException("The user has no confirmed email address.");
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var now = time.GetUtcNow();
        var hash = Hash(user.Id, code);
        var expiresAt = now + Options.EmailCodeLifetime;
        var attempts = Options.EmailCodeAttempts;
        var userId = user.Id;

        var updated = await db.Set<EmailOneTimeCode>().Where(c => c.UserId == userId).ExecuteUpdateAsync(set => set
            .SetProperty(c => c.CodeHash, hash)
            .SetProperty(c => c.SentAt, now)
            .SetProperty(c => c.ExpiresAt, expiresAt)
            .SetProperty(c => c.AttemptsLeft, attempts), ct);
        if (updated == 0)
        {
            db.Set<EmailOneTimeCode>().Add(new EmailOneTimeCode { UserId = userId, CodeHash = hash, SentAt = now, ExpiresAt = expiresAt, AttemptsLeft = attempts });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // A concurrent send inserted first; overwrite its code with ours so the mail we send is the live one.
                db.ChangeTracker.Clear();
                await db.Set<EmailOneTimeCode>().Where(c => c.UserId == userId).ExecuteUpdateAsync(set => set
                    .SetProperty(c => c.CodeHash, hash)
                    .SetProperty(c => c.SentAt, now)
                    .SetProperty(c => c.ExpiresAt, expiresAt)
                    .SetProperty(c => c.AttemptsLeft, attempts), ct);
            }

            db.ChangeTracker.Clear();
        }

        var minutes = (int)Math.Ceiling(Options.EmailCodeLifetime.TotalMinutes);
        await mailer.SendAsync(
            user.Email!,
            "Your Latchkey sign-in code",
            $"""
            Your sign-in code is: {code}

            It is valid for {minutes} minutes and can be used once.
            If you did not try to sign in, someone knows your password: change it now.
            """,
            htmlBody: null,
            ct);
    }

    public async Task<EmailCodeVerification> VerifyAsync(Guid userId, string? code, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var normalised = Normalise(code);
        if (normalised is not null)
        {
            var hash = Hash(userId, normalised);
            var accepted = await db.Set<EmailOneTimeCode>()
                .Where(c => c.UserId == userId && c.CodeHash == hash && c.ExpiresAt > now && c.AttemptsLeft > 0)
                .ExecuteDeleteAsync(ct);
            if (accepted == 1)
            {
                return EmailCodeVerification.Accepted;
            }
        }

        // Spend one attempt of a live code; none left (or none live) means the user must ask for a new code.
        var spent = await db.Set<EmailOneTimeCode>()
            .Where(c => c.UserId == userId && c.ExpiresAt > now && c.AttemptsLeft > 0)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.AttemptsLeft, c => c.AttemptsLeft - 1), ct);
        return spent == 1 ? EmailCodeVerification.WrongCode : EmailCodeVerification.NoActiveCode;
    }

    public Task RemoveAsync(Guid userId, CancellationToken ct) =>
        db.Set<EmailOneTimeCode>().Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);

    private static string? Normalise(string? code)
    {
        if (code is null || code.Length > 32)
        {
            return null;
        }

        var digits = new string([.. code.Where(c => c is not (' ' or '-'))]);
        return digits.Length == Digits && digits.All(char.IsAsciiDigit) ? digits : null;
    }

    // A million codes are trivially enumerable from a hash; the hash only keeps the code out of backups and logs. What protects
    // it is the short life and the attempt limit.
    private static string Hash(Guid userId, string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId.ToString("N") + ":email:" + code)));
}
