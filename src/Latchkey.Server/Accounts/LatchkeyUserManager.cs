using Latchkey.Server.Accounts.Lockout;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Identity's user manager with lockout on <see cref="TimeProvider"/> (Identity reads the system clock, which tests cannot
/// move) and the escalating lockout of <see cref="AccountLockout"/> for every failure Identity counts (e.g. second factors).
/// </summary>
public sealed class LatchkeyUserManager(
    IUserStore<LatchkeyUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<LatchkeyUser> passwordHasher,
    IEnumerable<IUserValidator<LatchkeyUser>> userValidators,
    IEnumerable<IPasswordValidator<LatchkeyUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<LatchkeyUser>> logger,
    TimeProvider time,
    AccountLockout lockout)
    : UserManager<LatchkeyUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    public override Task<bool> IsLockedOutAsync(LatchkeyUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Task.FromResult(SupportsUserLockout && user.LockoutEnabled && user.LockoutEnd is { } end && end > time.GetUtcNow());
    }

    public override async Task<IdentityResult> AccessFailedAsync(LatchkeyUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        await lockout.RecordFailureAsync(user, CancellationToken);
        return IdentityResult.Success;
    }
}
