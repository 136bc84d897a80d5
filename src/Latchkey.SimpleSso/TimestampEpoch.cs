namespace Latchkey.SimpleSso;

/// <summary>The epoch an itsdangerous timestamp counts from.</summary>
public enum TimestampEpoch
{
    /// <summary>Seconds since 1970-01-01T00:00:00Z, as itsdangerous 1.1 and later emit. Accepted by every Python server.</summary>
    Unix,

    /// <summary>Seconds since 2011-01-01T00:00:00Z, as itsdangerous 0.24 (pinned by django-simple-sso 1.x) emits.</summary>
    Legacy2011,
}
