using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Latchkey.Client.AspNetCore;

/// <summary>Configuration of the simple-sso client handler.</summary>
public sealed class SimpleSsoOptions : RemoteAuthenticationOptions
{
    /// <summary>Sets the simple-sso defaults: callback <c>/sso/authenticate/</c> and a Lax, HttpOnly correlation cookie.</summary>
    public SimpleSsoOptions()
    {
        CallbackPath = SimpleSsoDefaults.CallbackPath;

        // The callback is a top-level GET redirect from the SSO server, so Lax is enough and, unlike the
        // framework's None+Secure default, also works on plain-http development hosts.
        CorrelationCookie.Name = SimpleSsoDefaults.CorrelationCookiePrefix;
        CorrelationCookie.SameSite = SameSiteMode.Lax;
        CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        CorrelationCookie.HttpOnly = true;
        CorrelationCookie.IsEssential = true;

        // Bounds how long the user may spend on the server's login page; also the correlation cookie's lifetime.
        RemoteAuthenticationTimeout = TimeSpan.FromMinutes(10);
        BackchannelTimeout = TimeSpan.FromSeconds(30);
        Events = new SimpleSsoEvents();
    }

    /// <summary>The server's SSO base URL, absolute and ending with <c>/</c>, e.g. <c>http://127.0.0.1:5000/sso/</c>.</summary>
    public string ServerUrl { get; set; } = "";

    /// <summary>The consumer's public key, sent as <c>X-Services-Public-Key</c>.</summary>
    public string PublicKey { get; set; } = "";

    /// <summary>The consumer's private key: the shared HMAC secret. Keep it out of source control.</summary>
    public string PrivateKey { get; set; } = "";

    /// <summary>The login-start route (default <c>/sso/login/</c>); <c>GET</c> it with <c>?next=/local/path</c>.</summary>
    public PathString LoginPath { get; set; } = SimpleSsoDefaults.LoginPath;

    /// <summary>
    /// Epoch of the timestamps this client signs. Unix (the default) is accepted by itsdangerous 0.24 and 2.x servers alike;
    /// choose <see cref="TimestampEpoch.Legacy2011"/> only for a server that insists on it.
    /// </summary>
    public TimestampEpoch TimestampEpoch { get; set; } = TimestampEpoch.Unix;

    /// <summary>
    /// How far outgoing request timestamps are set back. itsdangerous 2.x servers reject any timestamp even a
    /// fraction of a second ahead of their clock, and accept 5 s behind; 1 s absorbs small skew both ways.
    /// </summary>
    public TimeSpan RequestTimestampBackdate { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest accepted age of the signed browser <c>access_token</c> (default 5 minutes; django-simple-sso checks none).</summary>
    public TimeSpan MaxTokenAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How far the server's clock may be ahead of ours when the browser token is checked (default 30 s).</summary>
    public TimeSpan AllowedClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Optional value sent as <c>extra_data</c> in every verify call (django-simple-sso's <c>user_extra_data</c>); the server
    /// answers with its own <c>extra_data</c>, which becomes the <see cref="SimpleSsoClaimTypes.ExtraData"/> claim.
    /// Leave unset for servers without a <c>get_user_extra_data</c> override: they answer 400.
    /// </summary>
    public System.Text.Json.JsonElement? UserExtraData { get; set; }

    /// <summary>
    /// Where the server POSTs signed back-channel logout notices (Latchkey single-logout extension), default
    /// <c>/sso/backchannel-logout/</c>; register <c>{site}{path}</c> as the consumer's back-channel logout URL
    /// (<c>latchkey consumers update NAME --backchannel-logout-url ...</c>). Set to an empty path to turn the endpoint off.
    /// </summary>
    public PathString BackChannelLogoutPath { get; set; } = SimpleSsoDefaults.BackChannelLogoutPath;

    /// <summary>
    /// How long an ended SSO session is remembered, so a local session from it is refused. Must be at least as long as
    /// the local cookie can live (default 30 days).
    /// </summary>
    public TimeSpan EndedSessionRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The handler's events; by default failures answer a plain 4xx page.</summary>
    public new SimpleSsoEvents Events
    {
        get => (SimpleSsoEvents)base.Events;
        set => base.Events = value;
    }

    /// <summary>Checks the options; throws <see cref="InvalidOperationException"/> listing every problem.</summary>
    public override void Validate()
    {
        base.Validate();
        var problems = Problems();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid SimpleSso options: " + string.Join(" ", problems));
        }
    }

    /// <summary>Every configuration problem, as sentences; empty when the options are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(ServerUrl, UriKind.Absolute, out var server)
            || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{nameof(ServerUrl)} must be an absolute http(s) URL.");
        }
        else if (!ServerUrl.EndsWith('/') || server.Query.Length > 0 || server.Fragment.Length > 0)
        {
            // Relative resolution of "authorize/" against a URL without the slash drops the last segment (django-simple-sso issue #43).
            problems.Add($"{nameof(ServerUrl)} must end with '/' and have no query or fragment.");
        }

        if (string.IsNullOrWhiteSpace(PublicKey))
        {
            problems.Add($"{nameof(PublicKey)} is required.");
        }

        if (string.IsNullOrEmpty(PrivateKey))
        {
            problems.Add($"{nameof(PrivateKey)} is required.");
        }

        if (!LoginPath.HasValue)
        {
            problems.Add($"{nameof(LoginPath)} is required.");
        }
        else if (LoginPath.Equals(CallbackPath))
        {
            problems.Add($"{nameof(LoginPath)} and {nameof(CallbackPath)} must differ.");
        }

        if (BackChannelLogoutPath.HasValue && (BackChannelLogoutPath.Equals(CallbackPath) || BackChannelLogoutPath.Equals(LoginPath)))
        {
            problems.Add($"{nameof(BackChannelLogoutPath)} must differ from {nameof(CallbackPath)} and {nameof(LoginPath)}.");
        }

        if (EndedSessionRetention <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(EndedSessionRetention)} must be positive.");
        }

        if (MaxTokenAge <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(MaxTokenAge)} must be positive.");
        }

        if (AllowedClockSkew < TimeSpan.Zero)
        {
            problems.Add($"{nameof(AllowedClockSkew)} cannot be negative.");
        }

        if (RequestTimestampBackdate < TimeSpan.Zero || RequestTimestampBackdate >= TimeSpan.FromSeconds(5))
        {
            problems.Add($"{nameof(RequestTimestampBackdate)} must be between 0 and 5 seconds (servers accept 5 s of age).");
        }

        return problems;
    }
}
