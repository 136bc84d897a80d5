using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>
/// Makes Identity see Latchkey's own factors. Identity counts a user as two-factor only when <c>TwoFactorEnabled</c> is set AND
/// some registered token provider can serve them; without one, a correct password would wipe the failure count and let wrong
/// second-factor codes be retried forever by re-entering the password. This provider only answers that question: Latchkey's
/// factors are verified by <see cref="TotpAuthenticators"/>, <see cref="RecoveryCodes"/> and <see cref="EmailCodes"/>, never
/// through Identity tokens.
/// </summary>
public sealed class MfaTwoFactorMarker : IUserTwoFactorTokenProvider<LatchkeyUser>
{
    public const string ProviderName = "LatchkeyMfa";

    // TwoFactorEnabled is kept in step with the enrolled factors (MfaFactors.SyncTwoFactorFlagAsync).
    public Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<LatchkeyUser> manager, LatchkeyUser user) => Task.FromResult(user.TwoFactorEnabled);

    public Task<string> GenerateAsync(string purpose, UserManager<LatchkeyUser> manager, LatchkeyUser user) =>
        throw new NotSupportedException("Latchkey's second factors are not Identity tokens.");

    public Task<bool> ValidateAsync(string purpose, string token, UserManager<LatchkeyUser> manager, LatchkeyUser user) => Task.FromResult(false);
}
