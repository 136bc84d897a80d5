using Microsoft.Extensions.Options;

namespace Latchkey.Server.Sessions;

/// <summary>
/// <c>Latchkey:Sessions</c>: how long an SSO session lives. Enforced by the server on every request
/// (the cookie's own expiry is only a second line). "Keep me signed in" picks the RememberMe bounds and a
/// persistent cookie; without it the cookie ends with the browser and the shorter bounds apply.
/// </summary>
public sealed class SessionLifetimeOptions
{
    public const string SectionName = "Latchkey:Sessions";

    /// <summary>A session with no request for this long ends (<c>idle-timeout</c>).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A session ends this long after it started, however active (<c>expired</c>).</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Whether the login page offers "Keep me signed in".</summary>
    public bool RememberMeEnabled { get; set; } = true;

    /// <summary>Idle timeout of a "Keep me signed in" session.</summary>
    public TimeSpan RememberMeIdleTimeout { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Absolute lifetime of a "Keep me signed in" session.</summary>
    public TimeSpan RememberMeAbsoluteLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Ended sessions and finished logout deliveries are deleted this long after they ended.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the sweeper ends timed-out sessions and deletes old rows.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan IdleTimeoutFor(bool persistent) => persistent && RememberMeEnabled ? RememberMeIdleTimeout : IdleTimeout;

    public TimeSpan AbsoluteLifetimeFor(bool persistent) => persistent && RememberMeEnabled ? RememberMeAbsoluteLifetime : AbsoluteLifetime;

    /// <summary>Why a session is over at <paramref name="now"/> (an <see cref="SsoSessionEndReasons"/> value), or null while it may go on.</summary>
    public string? ExpiryReason(DateTimeOffset createdAt, DateTimeOffset lastSeenAt, bool persistent, DateTimeOffset now)
    {
        if (now - createdAt >= AbsoluteLifetimeFor(persistent))
        {
            return SsoSessionEndReasons.Expired;
        }

        return now - lastSeenAt >= IdleTimeoutFor(persistent) ? SsoSessionEndReasons.IdleTimeout : null;
    }
}

/// <summary>Startup validation of <see cref="SessionLifetimeOptions"/>, naming the key to fix.</summary>
public sealed class SessionLifetimeOptionsValidator : IValidateOptions<SessionLifetimeOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionLifetimeOptions options)
    {
        var failures = new List<string>();
        const string Prefix = SessionLifetimeOptions.SectionName + ":";
        Positive(failures, Prefix + "IdleTimeout", options.IdleTimeout);
        Positive(failures, Prefix + "AbsoluteLifetime", options.AbsoluteLifetime);
        Positive(failures, Prefix + "RememberMeIdleTimeout", options.RememberMeIdleTimeout);
        Positive(failures, Prefix + "RememberMeAbsoluteLifetime", options.RememberMeAbsoluteLifetime);
        Positive(failures, Prefix + "Retention", options.Retention);
        Positive(failures, Prefix + "SweepInterval", options.SweepInterval);
        if (options.SweepInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"{Prefix}SweepInterval must be at most 1.00:00:00 (got {options.SweepInterval}).");
        }
        if (options.IdleTimeout > options.AbsoluteLifetime)
        {
            failures.Add($"{Prefix}IdleTimeout ({options.IdleTimeout}) must not exceed {Prefix}AbsoluteLifetime ({options.AbsoluteLifetime}).");
        }

        if (options.RememberMeIdleTimeout > options.RememberMeAbsoluteLifetime)
        {
            failures.Add($"{Prefix}RememberMeIdleTimeout ({options.RememberMeIdleTimeout}) must not exceed {Prefix}RememberMeAbsoluteLifetime ({options.RememberMeAbsoluteLifetime}).");
        }

        if (options.RememberMeEnabled && (options.RememberMeIdleTimeout < options.IdleTimeout || options.RememberMeAbsoluteLifetime < options.AbsoluteLifetime))
        {
            failures.Add($"{Prefix}RememberMe bounds must not be shorter than IdleTimeout/AbsoluteLifetime: 'Keep me signed in' would sign people out sooner.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{key} must be positive (got {value}).");
        }
    }
}
