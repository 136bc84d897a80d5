using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.PasswordPolicy;

/// <summary>
/// The password policy, applied by Identity wherever a password is set (user creation, admin/CLI set-password, change, reset):
/// minimum and maximum length (counted in Unicode code points, so a pass phrase in any script counts fairly), not on the
/// common-password list, not the user name or e-mail address. No composition rules (NIST SP 800-63B 5.1.1.2).
/// </summary>
public sealed class LatchkeyPasswordValidator(IOptions<LatchkeyOptions> options, CommonPasswordList commonPasswords) : IPasswordValidator<LatchkeyUser>
{
    public const string TooShortCode = "PasswordTooShort";
    public const string TooLongCode = "PasswordTooLong";
    public const string CommonCode = "PasswordCommon";
    public const string ContextCode = "PasswordMatchesAccount";

    public Task<IdentityResult> ValidateAsync(UserManager<LatchkeyUser> manager, LatchkeyUser user, string? password)
    {
        var policy = options.Value.Accounts.Password;
        password ??= "";
        var length = password.EnumerateRunes().Count();

        if (length < policy.MinimumLength)
        {
            return Failed(TooShortCode, $"Passwords must be at least {policy.MinimumLength} characters.");
        }

        if (length > policy.MaximumLength)
        {
            // Refused, never truncated: a silently shortened password is not the one the user chose.
            return Failed(TooLongCode, $"Passwords must be at most {policy.MaximumLength} characters.");
        }

        if (IsAccountName(password, user.UserName) || IsAccountName(password, user.Email)
            || (user.Email?.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && IsAccountName(password, user.Email[..at])))
        {
            return Failed(ContextCode, "The password must not be your user name or e-mail address.");
        }

        if (policy.RejectCommonPasswords && (commonPasswords.Contains(password) || commonPasswords.Contains(password.Trim())))
        {
            return Failed(CommonCode, "This password is too common (it appears in lists of breached passwords); choose another one.");
        }

        return Task.FromResult(IdentityResult.Success);
    }

    private static bool IsAccountName(string password, string? name) =>
        !string.IsNullOrWhiteSpace(name) && string.Equals(password.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase);

    private static Task<IdentityResult> Failed(string code, string description) =>
        Task.FromResult(IdentityResult.Failed(new IdentityError { Code = code, Description = description }));
}
