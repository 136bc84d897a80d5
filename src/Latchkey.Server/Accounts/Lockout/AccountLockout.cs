using System.Globalization;
using System.Linq.Expressions;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Lockout;

/// <summary>
/// Counts a failed sign-in and applies the escalating lockout (<see cref="AccountLockoutOptions"/>) in one UPDATE, so
/// concurrent failures serialise on the row and none is lost. The failure count is not reset by a lockout: the n-th run of
/// failures is the n-th lockout, which is what makes each one longer. Times come from <see cref="TimeProvider"/>.
/// </summary>
public sealed class AccountLockout(LatchkeyDbContext db, IOptions<LatchkeyOptions> options, IOptions<IdentityOptions> identity, TimeProvider time, ILogger<AccountLockout> logger, IServiceProvider services)
{
    /// <summary>Records one failure for <paramref name="user"/> (reloaded afterwards); true when this failure locked the account.</summary>
    public async Task<bool> RecordFailureAsync(LatchkeyUser user, CancellationToken ct = default)
    {
        var policy = options.Value.Accounts.Lockout;
        // Identity's option is set from Latchkey:Accounts:Lockout:MaxFailedAttempts; reading it here keeps one value for
        // every counter (second factors, passkeys) even when a host overrides Identity's options.
        var maxFailures = Math.Max(1, identity.Value.Lockout.MaxFailedAccessAttempts);
        var now = time.GetUtcNow();
        var userId = user.Id;
        var stamp = Guid.NewGuid().ToString();
        var lockoutEnd = LockoutEndAfterFailure(policy, maxFailures, now);

        // The new concurrency stamp makes racing optimistic writes of the same row reload and retry.
        await db.Set<LatchkeyUser>()
            .Where(u => u.Id == userId)
            .ExecuteUpdateAsync(set => set
                .SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount + 1)
                .SetProperty(u => u.LockoutEnd, lockoutEnd)
                .SetProperty(u => u.ConcurrencyStamp, stamp), ct);

        var entry = db.Entry(user);
        await entry.ReloadAsync(ct);
        var locked = user.AccessFailedCount > 0 && user.AccessFailedCount % maxFailures == 0 && user.LockoutEnd > now;
        if (locked)
        {
            var number = user.AccessFailedCount / maxFailures;
            logger.LogWarning("User {UserId} locked out after {Failures} failed attempts (lockout #{Number}, until {LockoutEnd:o}).",
                user.Id, user.AccessFailedCount, number, user.LockoutEnd);
            if (services.GetService<IAuditLog>() is { } audit)
            {
                await audit.AppendAsync(new AuditRecord("account.locked_out", AuditOutcome.Failure)
                {
                    SubjectId = user.Id,
                    SubjectName = user.UserName,
                    Details = new Dictionary<string, string>
                    {
                        ["failures"] = user.AccessFailedCount.ToString(CultureInfo.InvariantCulture),
                        ["lockout"] = number.ToString(CultureInfo.InvariantCulture),
                        ["until"] = user.LockoutEnd!.Value.ToString("o", CultureInfo.InvariantCulture),
                    },
                }, ct);
            }
        }

        return locked;
    }

    /// <summary>
    /// <c>u =&gt; (u.AccessFailedCount + 1) % max == 0 ? (count == max ? now + d1 : count == 2·max ? now + d2 : … : now + cap) : u.LockoutEnd</c>,
    /// built as an expression so the database picks the duration from the row's own count.
    /// </summary>
    private static Expression<Func<LatchkeyUser, DateTimeOffset?>> LockoutEndAfterFailure(AccountLockoutOptions policy, int max, DateTimeOffset now)
    {
        var levels = policy.DistinctLevels;
        var u = Expression.Parameter(typeof(LatchkeyUser), "u");
        var count = Expression.Add(Expression.Property(u, nameof(LatchkeyUser.AccessFailedCount)), Expression.Constant(1));

        Expression end = Until(now + policy.DurationOf(levels));
        for (var n = levels - 1; n >= 1; n--)
        {
            end = Expression.Condition(Expression.Equal(count, Expression.Constant(n * max)), Until(now + policy.DurationOf(n)), end);
        }

        var body = Expression.Condition(
            Expression.Equal(Expression.Modulo(count, Expression.Constant(max)), Expression.Constant(0)),
            end,
            Expression.Property(u, nameof(LatchkeyUser.LockoutEnd)));
        return Expression.Lambda<Func<LatchkeyUser, DateTimeOffset?>>(body, u);
    }

    private static ConstantExpression Until(DateTimeOffset value) => Expression.Constant((DateTimeOffset?)value, typeof(DateTimeOffset?));
}
