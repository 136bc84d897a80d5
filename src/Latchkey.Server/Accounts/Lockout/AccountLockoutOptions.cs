namespace Latchkey.Server.Accounts.Lockout;

/// <summary>
/// <c>Latchkey:Accounts:Lockout</c>: every <see cref="MaxFailedAttempts"/> consecutive failures lock the account, for
/// <see cref="BaseDuration"/> the first time and twice as long each further time, up to <see cref="MaxDuration"/>.
/// A successful sign-in (or an admin unlock, or a password reset) starts over.
/// </summary>
public sealed class AccountLockoutOptions
{
    public int MaxFailedAttempts { get; set; } = 5;

    public TimeSpan BaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The lockout after the <paramref name="lockoutNumber"/>-th run of failures (1-based): base × 2^(n−1), capped.</summary>
    public TimeSpan DurationOf(int lockoutNumber)
    {
        var duration = BaseDuration;
        for (var i = 1; i < lockoutNumber && duration < MaxDuration; i++)
        {
            duration += duration;
        }

        return duration < MaxDuration ? duration : MaxDuration;
    }

    /// <summary>How many distinct durations there are before the cap (the cap included).</summary>
    public int DistinctLevels
    {
        get
        {
            var levels = 1;
            while (DurationOf(levels) < MaxDuration)
            {
                levels++;
            }

            return levels;
        }
    }
}
