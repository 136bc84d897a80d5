namespace Latchkey.Server.SimpleSso;

/// <summary>simple-sso log events. Never a token, key or signature: only consumer names, user ids and reasons.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "simple-sso request token issued for consumer {Consumer}")]
    public static partial void RequestTokenIssued(ILogger logger, string consumer);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "simple-sso request token of consumer {Consumer} bound to user {UserId}")]
    public static partial void TokenBound(ILogger logger, string consumer, Guid userId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "simple-sso access token of consumer {Consumer} verified for user {UserId}")]
    public static partial void TokenVerified(ILogger logger, string consumer, Guid userId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "simple-sso {Endpoint} refused: {Status} {Reason}")]
    public static partial void Refused(ILogger logger, string endpoint, int status, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "simple-sso redirect_to of consumer {Consumer} is outside its registered origins")]
    public static partial void RedirectRefused(ILogger logger, string consumer);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "simple-sso token store write failed")]
    public static partial void StoreWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "simple-sso sweeper removed {Count} expired tokens")]
    public static partial void Swept(ILogger logger, int count);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "simple-sso sweeper failed; retrying at the next interval")]
    public static partial void SweepFailed(ILogger logger, Exception exception);
}
