namespace Latchkey.Client.AspNetCore;

/// <summary>
/// Why a simple-sso sign-in failed, as seen by <see cref="Microsoft.AspNetCore.Authentication.RemoteAuthenticationEvents.OnRemoteFailure"/>.
/// The reason never contains token or key values.
/// </summary>
public sealed class SimpleSsoAuthenticationException : Exception
{
    /// <summary>Creates a failure with the status the browser should receive.</summary>
    public SimpleSsoAuthenticationException(int statusCode, string reason)
        : base(reason)
    {
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>The HTTP status answered to the browser (4xx for bad input, 502 when the SSO server misbehaves).</summary>
    public int StatusCode { get; }

    /// <summary>A short, user-presentable reason.</summary>
    public string Reason { get; }
}
