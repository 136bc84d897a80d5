namespace Latchkey.Client.AspNetCore;

/// <summary>Default names and paths of the simple-sso authentication scheme.</summary>
public static class SimpleSsoDefaults
{
    /// <summary>The default scheme name, <c>SimpleSso</c>.</summary>
    public const string AuthenticationScheme = "SimpleSso";

    /// <summary>The default display name.</summary>
    public const string DisplayName = "Single sign-on";

    /// <summary>The client's login-start route; accepts <c>?next=</c>.</summary>
    public const string LoginPath = "/sso/login/";

    /// <summary>The route the SSO server sends the browser back to with <c>access_token</c>.</summary>
    public const string CallbackPath = "/sso/authenticate/";

    /// <summary>Where the server POSTs back-channel logout notices (Latchkey single-logout extension).</summary>
    public const string BackChannelLogoutPath = "/sso/backchannel-logout/";

    /// <summary>Prefix of the per-login correlation cookie; the login's random state completes the name.</summary>
    public const string CorrelationCookiePrefix = ".Latchkey.SimpleSso.Correlation.";
}
