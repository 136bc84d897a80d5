using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>Validates <c>Latchkey:Accounts:Lockout</c>, <c>:Password</c> and <c>:Links</c> at startup.</summary>
public sealed class AccountSecurityOptionsValidator : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        var failures = new List<string>();
        var lockout = options.Accounts.Lockout;
        if (lockout.MaxFailedAttempts is < 1 or > 1000)
        {
            failures.Add($"Latchkey:Accounts:Lockout:MaxFailedAttempts must be between 1 and 1000 (got {lockout.MaxFailedAttempts}).");
        }

        if (lockout.BaseDuration <= TimeSpan.Zero)
        {
            failures.Add($"Latchkey:Accounts:Lockout:BaseDuration must be a positive duration such as 00:01:00 (got {lockout.BaseDuration}).");
        }

        if (lockout.MaxDuration < lockout.BaseDuration || lockout.MaxDuration > TimeSpan.FromDays(30))
        {
            failures.Add($"Latchkey:Accounts:Lockout:MaxDuration must be at least BaseDuration and at most 30 days (got {lockout.MaxDuration}).");
        }

        var password = options.Accounts.Password;
        if (password.MinimumLength < 1)
        {
            failures.Add($"Latchkey:Accounts:Password:MinimumLength must be at least 1 (got {password.MinimumLength}); NIST SP 800-63B asks for 8.");
        }

        if (password.MaximumLength < 64 || password.MaximumLength > 4096)
        {
            failures.Add($"Latchkey:Accounts:Password:MaximumLength must be between 64 (NIST SP 800-63B) and 4096 (got {password.MaximumLength}).");
        }
        else if (password.MaximumLength < password.MinimumLength)
        {
            failures.Add("Latchkey:Accounts:Password:MaximumLength must not be below MinimumLength.");
        }

        var links = options.Accounts.Links;
        if (links.PasswordResetLifetime <= TimeSpan.Zero || links.PasswordResetLifetime > TimeSpan.FromDays(1))
        {
            failures.Add($"Latchkey:Accounts:Links:PasswordResetLifetime must be between a second and a day, e.g. 00:30:00 (got {links.PasswordResetLifetime}).");
        }

        if (links.EmailVerificationLifetime <= TimeSpan.Zero || links.EmailVerificationLifetime > TimeSpan.FromDays(30))
        {
            failures.Add($"Latchkey:Accounts:Links:EmailVerificationLifetime must be between a second and 30 days (got {links.EmailVerificationLifetime}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
