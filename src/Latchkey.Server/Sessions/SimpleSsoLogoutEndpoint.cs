using Latchkey.Server.Consumers;
using Latchkey.Server.SimpleSso;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;

namespace Latchkey.Server.Sessions;

/// <summary>
/// <c>GET {base}logout/?key=PUBLIC&amp;token=T</c> — client-initiated single logout for simple-sso consumers (Latchkey
/// extension, see <see cref="SingleLogoutProtocol"/>). The token, signed with the consumer's key and at most two
/// minutes old, names where to send the browser afterwards (same origin rule as <c>redirect_to</c>) and, optionally,
/// the SSO session to end; without one, the browser's own session ends. A consumer can only end sessions it took
/// part in. No confirmation page: the signature proves the app asked, as an OIDC <c>id_token_hint</c> does.
/// </summary>
internal static class SimpleSsoLogoutEndpoint
{
    public static readonly SimpleSsoError UnknownSession = new(StatusCodes.Status400BadRequest, "Malformed session id");

    public static async Task HandleAsync(
        HttpContext context,
        ConsumerRegistry consumers,
        SsoSessionRegistry sessions,
        LatchkeyDbContext db,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(SimpleSsoLogoutEndpoint));
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";

        var publicKey = Single(context.Request.Query["key"]);
        var token = Single(context.Request.Query["token"]);
        if (string.IsNullOrEmpty(publicKey))
        {
            await RefuseAsync(context, logger, SimpleSsoError.NoPublicKey);
            return;
        }

        if (string.IsNullOrEmpty(token) || token.Length > 4096)
        {
            await RefuseAsync(context, logger, SimpleSsoError.TokenMissing);
            return;
        }

        var key = await consumers.FindByPublicKeyAsync(publicKey, context.RequestAborted);
        if (key is null)
        {
            await RefuseAsync(context, logger, SimpleSsoError.InvalidPublicKey);
            return;
        }

        var opened = UrlSafeToken.Open(token, new TimedSigner(key.PrivateKey), time.GetUtcNow(), SingleLogoutProtocol.Freshness);
        var request = opened.IsSuccess ? ClientLogoutRequest.From(opened.Value) : opened.Error;
        if (!request.IsSuccess)
        {
            await RefuseAsync(context, logger, request.Error);
            return;
        }

        var origin = RedirectOrigin.OfRedirectTarget(request.Value.Next);
        if (origin is null || !key.Consumer.RedirectOrigins.Contains(origin, StringComparer.Ordinal))
        {
            await RefuseAsync(context, logger, SimpleSsoError.RedirectNotAllowed);
            return;
        }

        Guid? named = null;
        if (request.Value.SsoSession is { } text)
        {
            if (!Guid.TryParseExact(text, "D", out var id))
            {
                await RefuseAsync(context, logger, UnknownSession);
                return;
            }

            named = id;
        }

        var browser = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var browserSession = browser.Principal?.GetSsoSessionId();
        var target = named ?? browserSession;
        var consumerName = key.Consumer.Name;
        IReadOnlyList<Uri> frontChannel = [];
        if (target is { } sessionId
            && await db.Set<SsoSessionParticipant>().AsNoTracking().AnyAsync(
                p => p.SessionId == sessionId && p.Protocol == SsoProtocols.SimpleSso && p.ClientId == consumerName, context.RequestAborted))
        {
            await sessions.EndAsync(sessionId, SsoSessionEndReasons.Logout, context.RequestAborted);
            Log.ClientLogout(logger, consumerName, sessionId);
            frontChannel = await sessions.GetFrontChannelLogoutUrisAsync(sessionId, sessions.CurrentIssuer, context.RequestAborted);
        }

        // The browser's cookie goes too when it belongs to the ended session (it would be refused anyway).
        if (browserSession is not null && browserSession == target)
        {
            await context.SignOutAsync(IdentityConstants.ApplicationScheme);
        }

        if (frontChannel.Count == 0)
        {
            context.Response.Redirect(request.Value.Next);
            return;
        }

        // OIDC apps of the same session that asked for front-channel logout load their logout URL in this browser;
        // a meta refresh (no script: the CSP allows none) then continues to the app, whose origin was checked above.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers.ContentSecurityPolicy = FrontChannelLogoutUri.ContentSecurityPolicyFor(frontChannel);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "text/html; charset=utf-8";
        var next = System.Net.WebUtility.HtmlEncode(request.Value.Next);
        var page = new System.Text.StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signing out</title>")
            .Append("<meta http-equiv=\"refresh\" content=\"2;url=").Append(next).Append("\"></head><body>")
            .Append("<p id=\"signed-out\">You have been signed out.</p>");
        foreach (var uri in frontChannel)
        {
            page.Append("<iframe class=\"frontchannel-logout\" hidden width=\"0\" height=\"0\" title=\"Signing out of an application\" src=\"")
                .Append(System.Net.WebUtility.HtmlEncode(uri.AbsoluteUri)).Append("\"></iframe>");
        }

        page.Append("<p><a id=\"continue\" href=\"").Append(next).Append("\">Continue</a></p></body></html>");
        await context.Response.WriteAsync(page.ToString(), context.RequestAborted);
    }

    private static Task RefuseAsync(HttpContext context, ILogger logger, SimpleSsoError error)
    {
        Log.ClientLogoutRefused(logger, error.Status, error.Reason);
        return SimpleSsoHttp.WriteErrorAsync(context, error);
    }

    private static string? Single(StringValues values) => values.Count == 1 ? values[0] : null;
}
