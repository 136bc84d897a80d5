using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Latchkey.Client.AspNetCore;

/// <summary>
/// The django-simple-sso client flow as an ASP.NET Core remote authentication handler:
/// <see cref="SimpleSsoOptions.LoginPath"/> starts a login, <see cref="RemoteAuthenticationOptions.CallbackPath"/>
/// receives the browser back, and a challenge redirects to the login start with <c>next</c> set to the current page.
/// </summary>
/// <remarks>
/// Beyond django-simple-sso: each login is bound to the browser that started it by a one-time correlation cookie
/// (defeating login CSRF and replay of the callback URL), the browser token's age is bounded, <c>next</c> is checked
/// as a same-origin path, and every failure is a 4xx (or 502 when the server misbehaves), never a 500.
/// </remarks>
public sealed class SimpleSsoHandler(IOptionsMonitor<SimpleSsoOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : RemoteAuthenticationHandler<SimpleSsoOptions>(options, logger, encoder), IAuthenticationSignOutHandler
{
    private const string StateParameter = "state";
    private const string CorrelationMarker = "N";

    // 32 random bytes in unpadded base64url.
    private const int StateLength = 43;

    private static readonly SimpleSsoError RequestRefused = new(StatusCodes.Status502BadGateway, "The SSO server refused the login request.");
    private static readonly SimpleSsoError TokenRejected = new(StatusCodes.Status403Forbidden, "The SSO server did not accept the access token.");

    /// <inheritdoc />
    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new SimpleSsoEvents());

    /// <inheritdoc />
    public override async Task<bool> HandleRequestAsync()
    {
        // GET only: each login start costs a server round trip and a token row.
        if (Request.Path.Equals(Options.LoginPath) && HttpMethods.IsGet(Request.Method))
        {
            await StartLoginAsync(Single(Request.Query["next"]));
            return true;
        }

        if (Options.BackChannelLogoutPath.HasValue && Request.Path.Equals(Options.BackChannelLogoutPath))
        {
            var sessions = Context.RequestServices.GetService(typeof(SimpleSsoSessionStore)) as SimpleSsoSessionStore
                ?? throw new InvalidOperationException("SimpleSsoSessionStore is not registered; use AddSimpleSso.");
            await new SimpleSsoBackChannelLogoutReceiver(Options, TimeProvider, sessions, Logger).HandleAsync(Context);
            return true;
        }

        return await base.HandleRequestAsync();
    }

    /// <summary>Sends the browser to the login start, remembering where it wanted to go.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var next = string.IsNullOrEmpty(properties.RedirectUri)
            ? OriginalPathBase + OriginalPath + Request.QueryString
            : properties.RedirectUri;
        Response.Redirect(OriginalPathBase + Options.LoginPath + QueryString.Create("next", LocalRedirect.Sanitize(next)));
        return Task.CompletedTask;
    }

    private async Task StartLoginAsync(string? next)
    {
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var redirectTo = QueryHelpers.AddQueryString(
            BuildRedirectUri(Options.CallbackPath),
            new Dictionary<string, string?> { ["next"] = LocalRedirect.Sanitize(next), [StateParameter] = state });

        var answer = await new SimpleSsoBackchannel(Options, TimeProvider)
            .PostAsync("request-token/", new RequestTokenRequest(redirectTo), RequestRefused, Context.RequestAborted);
        var requestToken = answer.IsSuccess ? RequestTokenResponse.From(answer.Value) : answer.Error;
        if (!requestToken.IsSuccess)
        {
            var error = requestToken.Error == SimpleSsoError.FailedToProcess ? SimpleSsoBackchannel.BadResponse : requestToken.Error;
            SimpleSsoLog.LoginStartFailed(Logger, error.Status, error.Reason);
            await SimpleSsoFailurePage.WriteAsync(Response, error.Status, error.Reason);
            return;
        }

        // The cookie name carries the state: concurrent logins in several tabs each keep their own.
        Response.Cookies.Append(
            Options.CorrelationCookie.Name + state,
            CorrelationMarker,
            Options.CorrelationCookie.Build(Context, TimeProvider.GetUtcNow()));
        Response.Headers.CacheControl = "no-store";
        Response.Redirect(Options.ServerUrl + "authorize/?token=" + Uri.EscapeDataString(requestToken.Value.RequestToken));
    }

    /// <inheritdoc />
    protected override async Task<HandleRequestResult> HandleRemoteAuthenticateAsync()
    {
        var query = Request.Query;
        if (!ConsumeCorrelation(Single(query[StateParameter])))
        {
            return Refuse(StatusCodes.Status403Forbidden, "This sign-in was not started in this browser, or was already used. Please sign in again.");
        }

        var signedToken = Single(query["access_token"]);
        if (string.IsNullOrEmpty(signedToken))
        {
            return Refuse(StatusCodes.Status400BadRequest, "The access token is missing.");
        }

        var opened = UrlSafeToken.Open(
            signedToken,
            new TimedSigner(Options.PrivateKey),
            TimeProvider.GetUtcNow(),
            new FreshnessWindow(Options.MaxTokenAge, Options.AllowedClockSkew));
        if (!opened.IsSuccess)
        {
            return Refuse(
                StatusCodes.Status400BadRequest,
                opened.Error == SimpleSsoError.SignatureExpired ? "The access token has expired." : "The access token is invalid.");
        }

        var verified = await new SimpleSsoBackchannel(Options, TimeProvider)
            .PostAsync("verify/", new VerifyRequest(opened.Value, Options.UserExtraData), TokenRejected, Context.RequestAborted);
        if (!verified.IsSuccess)
        {
            return Refuse(verified.Error.Status, verified.Error.Reason);
        }

        var user = SimpleSsoUser.From(verified.Value);
        if (!user.IsSuccess)
        {
            return Refuse(SimpleSsoBackchannel.BadResponse.Status, "The SSO server's answer has no user.");
        }

        if (!user.Value.IsActive)
        {
            return Refuse(StatusCodes.Status403Forbidden, "This account is inactive.");
        }

        var identity = SimpleSsoClaims.CreateIdentity(user.Value, Scheme.Name, Options.ClaimsIssuer ?? Scheme.Name);
        var properties = new AuthenticationProperties { RedirectUri = LocalRedirect.Sanitize(Single(query["next"])) };
        SimpleSsoLog.SignedIn(Logger, user.Value.Username);
        return HandleRequestResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), properties, Scheme.Name));
    }

    /// <summary>
    /// Client-initiated single logout (Latchkey extension): sends the browser to the server's <c>logout/</c> endpoint with a
    /// signed request naming this login's SSO session, and back to <see cref="AuthenticationProperties.RedirectUri"/> (a local
    /// path, default <c>/</c>) afterwards. Sign the local cookie out in the same request:
    /// <c>SignOut(CookieAuthenticationDefaults.AuthenticationScheme, SimpleSsoDefaults.AuthenticationScheme)</c>.
    /// </summary>
    public Task SignOutAsync(AuthenticationProperties? properties)
    {
        var next = BuildRedirectUri(LocalRedirect.Sanitize(properties?.RedirectUri));
        var ssoSession = Context.User.FindFirst(SimpleSsoClaimTypes.SsoSession)?.Value;
        var token = UrlSafeToken.Seal(
            new ClientLogoutRequest(next, ssoSession).ToJson(),
            new TimedSigner(Options.PrivateKey),
            TimeProvider.GetUtcNow() - Options.RequestTimestampBackdate,
            Options.TimestampEpoch);
        Response.Headers.CacheControl = "no-store";
        Response.Redirect(Options.ServerUrl + "logout/" + QueryString.Create(new Dictionary<string, string?> { ["key"] = Options.PublicKey, ["token"] = token }));
        return Task.CompletedTask;
    }

    /// <summary>Checks and deletes the one-time cookie that ties this callback to the browser that started the login.</summary>
    private bool ConsumeCorrelation(string? state)
    {
        if (state is not { Length: StateLength } || !Base64Url.IsValid(state))
        {
            return false;
        }

        var cookieName = Options.CorrelationCookie.Name + state;
        var value = Request.Cookies[cookieName];
        if (value is null)
        {
            return false;
        }

        Response.Cookies.Delete(cookieName, Options.CorrelationCookie.Build(Context, TimeProvider.GetUtcNow()));
        return value == CorrelationMarker;
    }

    private HandleRequestResult Refuse(int status, string reason)
    {
        SimpleSsoLog.CallbackRefused(Logger, status, reason);
        return HandleRequestResult.Fail(new SimpleSsoAuthenticationException(status, reason));
    }

    // Repeated parameters are ambiguous, so they count as absent.
    private static string? Single(StringValues values) => values.Count == 1 ? values[0] : null;
}
