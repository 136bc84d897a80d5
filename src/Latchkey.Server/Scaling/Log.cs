namespace Latchkey.Server.Scaling;

internal static partial class Log
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning,
        Message = "Redis connection lost ({EndPoint}, {FailureType}): caches trust entries for at most a second and rate limits count per node until it is back.")]
    public static partial void RedisLost(ILogger logger, Exception? exception, string? endPoint, string failureType);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Redis connection restored ({EndPoint}); cluster caches are shared again.")]
    public static partial void RedisRestored(ILogger logger, string? endPoint);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning,
        Message = "Redis ({EndPoints}) is unreachable; starting anyway and retrying in the background. Until it answers, caches trust entries for at most a second and rate limits count per node.")]
    public static partial void RedisUnreachable(ILogger logger, string endPoints);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Debug, Message = "Could not publish a cluster message on {Channel} ({Error}); other nodes resynchronise when Redis is back.")]
    public static partial void PublishFailed(ILogger logger, string channel, string error);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Could not subscribe to cluster messages ({Error}); retrying when Redis is back.")]
    public static partial void SubscribeFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "A cluster message handler for {Channel} failed.")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Reloading OIDC keys after a cluster notification failed; the periodic refresh will retry.")]
    public static partial void KeyRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Debug, Message = "A shared rate-limit counter could not be read ({Error}); counting on this node for this request.")]
    public static partial void RateLimitFallback(ILogger logger, string error);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Warning,
        Message = "Latchkey:Redis is set (several nodes) but {Key} is not: every node must be given the same value, or tokens and cookies of one node may be refused by another. See docs/operations.md.")]
    public static partial void ClusterSettingMissing(ILogger logger, string key);
}
