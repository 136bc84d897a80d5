namespace Latchkey.Server.Sessions;

/// <summary>Session log events. Ids and reasons only: never a cookie, token or logout token.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "SSO session {SessionId} started for user {UserId}")]
    public static partial void Started(ILogger logger, Guid sessionId, Guid userId);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "SSO session {SessionId} ended ({Reason}); {Deliveries} logout notifications queued")]
    public static partial void Ended(ILogger logger, Guid sessionId, string reason, int deliveries);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Cookie refused: {Reason}")]
    public static partial void CookieRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Logout notification {DeliveryId} ({Channel}) to client {ClientId} delivered")]
    public static partial void Delivered(ILogger logger, Guid deliveryId, string channel, string clientId);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Logout notification {DeliveryId} ({Channel}) to client {ClientId} failed (attempt {Attempt}): {Error}; {Outcome}")]
    public static partial void DeliveryFailed(ILogger logger, Guid deliveryId, string channel, string clientId, int attempt, string error, string outcome);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Logout delivery pass failed; retrying at the next poll")]
    public static partial void PassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "User {UserId} signed out everywhere ({Reason}): {Sessions} sessions ended, {Tokens} OIDC tokens revoked")]
    public static partial void RevokedAll(ILogger logger, Guid userId, string reason, int sessions, long tokens);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Session sweep: {TimedOut} timed-out sessions ended, {Sessions} old sessions and {Deliveries} finished logout deliveries deleted")]
    public static partial void Swept(ILogger logger, int timedOut, int sessions, int deliveries);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Session sweep failed; retrying at the next tick")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5030, Level = LogLevel.Information, Message = "simple-sso consumer {Consumer} ended SSO session {SessionId}")]
    public static partial void ClientLogout(ILogger logger, string consumer, Guid sessionId);

    [LoggerMessage(EventId = 5031, Level = LogLevel.Information, Message = "simple-sso logout refused: {Status} {Reason}")]
    public static partial void ClientLogoutRefused(ILogger logger, int status, string reason);
}
