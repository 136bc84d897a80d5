using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Audit;
using Latchkey.Server.Consumers;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// <c>GET {base}authorize/?token=RT</c> (protocol §3.2): the browser arrives with a request token;
/// a signed-in user binds it and is sent back to the client with the signed access token.
/// A request token binds once, atomically (§9 weakness 2: re-binding let an attacker's link log
/// the attacker in as the victim), and its lifetime is not extended by visits.
/// </summary>
internal static class AuthorizeEndpoint
{
    private const string Name = "authorize";
    private const string LoginPath = "/account/login";

    // Compiled once (EF's per-call query-cache lookup cost more than these queries), and the key pair the
    // token was issued under comes with the token instead of in a query of its own.
    private static readonly PerModelCompiledQuery<Func<LatchkeyDbContext, string, CancellationToken, Task<PendingToken?>>> PendingByHash = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext db, string requestTokenHash, CancellationToken ct) =>
            db.SimpleSsoTokens.AsNoTracking()
                .Where(t => t.RequestTokenHash == requestTokenHash)
                .Select(t => new PendingToken(
                    t,
                    t.Consumer,
                    db.ConsumerKeys.Where(k => k.Id == t.ConsumerKeyId).Select(k => k.ProtectedPrivateKey).FirstOrDefault()))
                .SingleOrDefault()));

    private static readonly PerModelCompiledQuery<Func<LatchkeyDbContext, Guid, CancellationToken, Task<LatchkeyUser?>>> UserById = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext db, Guid userId, CancellationToken ct) =>
            db.Users.AsNoTracking().SingleOrDefault(u => u.Id == userId)));

    /// <summary>A request token's row, its consumer, and the stored (encrypted) private key of the pair it was issued under, if that pair still exists.</summary>
    private sealed record PendingToken(SimpleSsoToken Token, Consumer? Consumer, string? ProtectedPrivateKey);

    public static async Task HandleAsync(HttpContext context, SimpleSsoSettings settings, LatchkeyDbContext db, ConsumerRegistry consumers, UserManager<LatchkeyUser> users, TimeProvider time, ILoggerFactory loggers, SsoSessionRegistry sessions, AppSignInGate gate, IAuditLog audit)
    {
        var logger = loggers.CreateLogger(typeof(AuthorizeEndpoint));

        // The URL carries a bearer secret: keep it out of caches and out of Referer headers.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";

        var requestToken = context.Request.Query["token"].ToString();
        if (requestToken.Length == 0)
        {
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.TokenMissing);
            return;
        }

        await SimpleSsoHttp.HoldConnectionAsync(db, context.RequestAborted);
        var pending = SimpleSsoTokens.IsWellFormed(requestToken)
            ? await PendingByHash.For(db)(db, SimpleSsoHashes.Of(requestToken), context.RequestAborted)
            : null;
        if (pending is not { Consumer: { } consumer } || pending.Token is not { } token)
        {
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.TokenNotFound);
            return;
        }

        var now = time.GetUtcNow();
        if (token.ExpiresAt <= now)
        {
            await db.SimpleSsoTokens.Where(t => t.Id == token.Id).ExecuteDeleteAsync(context.RequestAborted);
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.TokenTimedOut);
            return;
        }

        // Checked before the login detour too, so a used link does not send anyone through a login for nothing.
        if (token.UserId is not null)
        {
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.TokenAlreadyUsed);
            return;
        }

        var authentication = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (authentication.Principal?.Identity?.IsAuthenticated != true)
        {
            var returnUrl = context.Request.PathBase + settings.BasePath + "authorize/?token=" + requestToken;
            context.Response.Redirect(context.Request.PathBase + LoginPath + "?returnUrl=" + Uri.EscapeDataString(returnUrl));
            return;
        }

        var user = Guid.TryParse(users.GetUserId(authentication.Principal), out var userId)
            ? await UserById.For(db)(db, userId, context.RequestAborted)
            : null;
        if (user is not { IsActive: true })
        {
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.AccessDenied);
            return;
        }

        // Per-app policy (MFA step-up or enrolment, session age) before anything is bound; the request token survives the detour.
        var decision = await gate.CheckAsync(new AppReference(AppProtocols.SimpleSso, consumer.Name), authentication.Principal, context.RequestAborted);
        if (decision != AppGateDecision.Allow)
        {
            var returnUrl = context.Request.PathBase + settings.BasePath + "authorize/?token=" + requestToken;
            context.Response.Redirect(context.Request.PathBase + AppSignInGate.RedirectFor(decision, returnUrl));
            return;
        }

        // Signed with the pair the client started this login with, even if a rotation has since
        // scheduled its end: that client still holds it. Verify itself requires a live pair.
        var privateKey = pending.ProtectedPrivateKey is { } protectedKey ? consumers.PrivateKeyOf(protectedKey) : null;
        if (privateKey is null)
        {
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.AccessDenied);
            return;
        }

        // The access token is born here, when there is a user, and only its hash is kept.
        var accessToken = SimpleSsoTokens.New();
        var accessTokenHash = SimpleSsoHashes.Of(accessToken);
        var sessionId = authentication.Principal.GetSsoSessionId();
        var bound = await db.SimpleSsoTokens
            .Where(t => t.Id == token.Id && t.UserId == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(
                s => s.SetProperty(t => t.UserId, user.Id)
                    .SetProperty(t => t.BoundAt, now)
                    .SetProperty(t => t.AccessTokenHash, accessTokenHash)
                    .SetProperty(t => t.SessionId, sessionId),
                context.RequestAborted);
        if (bound != 1)
        {
            // Another browser bound it between our read and our write.
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.TokenAlreadyUsed);
            return;
        }

        Log.TokenBound(logger, consumer.Name, user.Id);
        await audit.AppendAsync(
            new AuditRecord(AuditEvents.SsoAuthorizeGranted, AuditOutcome.Success)
            {
                ActorId = user.Id,
                ActorName = user.UserName,
                SubjectId = user.Id,
                SubjectName = user.UserName,
                App = AuditRecord.SimpleSsoApp(consumer.Name),
                Details = sessionId is { } sid ? new Dictionary<string, string> { ["session_id"] = sid.ToString("D") } : null,
            },
            context.RequestAborted);

        // Single logout needs to know which apps this session logged into.
        if (sessionId is { } participantSession)
        {
            await sessions.RecordParticipantAsync(participantSession, SsoProtocols.SimpleSso, consumer.Name, context.RequestAborted);
        }

        var signed = UrlSafeToken.Seal(accessToken, new TimedSigner(privateKey), now);
        context.Response.Redirect(SimpleSsoRedirect.WithAccessToken(token.RedirectTo, signed));
    }
}
