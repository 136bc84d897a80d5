using Microsoft.Extensions.Logging;

namespace Latchkey.Client.AspNetCore;

// Reasons only: token, key and envelope values are never logged.
internal static partial class SimpleSsoLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Simple SSO login start failed ({Status}): {Reason}")]
    public static partial void LoginStartFailed(ILogger logger, int status, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Simple SSO callback refused ({Status}): {Reason}")]
    public static partial void CallbackRefused(ILogger logger, int status, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Simple SSO user {Username} signed in")]
    public static partial void SignedIn(ILogger logger, string username);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Simple SSO back-channel logout: SSO session ended for user {Username}")]
    public static partial void BackChannelLogout(ILogger logger, string username);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Simple SSO back-channel logout refused ({Status}): {Reason}")]
    public static partial void BackChannelLogoutRefused(ILogger logger, int status, string reason);
}
