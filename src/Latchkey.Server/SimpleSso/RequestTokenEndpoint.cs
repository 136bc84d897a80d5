using Latchkey.Server.Audit;
using Latchkey.Server.Consumers;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// <c>POST {base}request-token/</c> (protocol §3.1): a signed client asks for a request token that
/// the browser will carry to authorize. Unlike django-simple-sso, <c>redirect_to</c> must lie under
/// one of the consumer's registered origins (§9 weakness 7), and no access token exists yet.
/// </summary>
internal static class RequestTokenEndpoint
{
    private const string Name = "request-token";

    public static async Task HandleAsync(HttpContext context, SimpleSsoSettings settings, ConsumerRegistry consumers, LatchkeyDbContext db, TimeProvider time, ILoggerFactory loggers, IAuditLog audit)
    {
        var logger = loggers.CreateLogger(typeof(RequestTokenEndpoint));
        await SimpleSsoHttp.HoldConnectionAsync(db, context.RequestAborted);
        var request = await SimpleSsoHttp.ReadSignedRequestAsync(context, settings, consumers, time);
        if (!request.IsSuccess)
        {
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, request.Error);
            return;
        }

        var parsed = RequestTokenRequest.From(request.Value.Payload);
        if (!parsed.IsSuccess)
        {
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, parsed.Error);
            return;
        }

        var consumer = request.Value.Key.Consumer;
        if (!IsAllowedTarget(parsed.Value.RedirectTo, consumer))
        {
            Log.RedirectRefused(logger, consumer.Name);
            await audit.AppendAsync(
                new AuditRecord(AuditEvents.SsoRequestTokenRejected, AuditOutcome.Failure)
                {
                    App = AuditRecord.SimpleSsoApp(consumer.Name),
                    Details = new Dictionary<string, string> { ["reason"] = SimpleSsoError.RedirectNotAllowed.Reason },
                },
                context.RequestAborted);
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.RedirectNotAllowed);
            return;
        }

        var requestToken = SimpleSsoTokens.New();
        var now = time.GetUtcNow();
        db.SimpleSsoTokens.Add(new SimpleSsoToken
        {
            Id = Guid.NewGuid(),
            ConsumerId = consumer.Id,
            ConsumerKeyId = request.Value.Key.Key.Id,
            RequestTokenHash = SimpleSsoHashes.Of(requestToken),
            RedirectTo = parsed.Value.RedirectTo,
            CreatedAt = now,
            ExpiresAt = now + settings.TokenLifetime,
        });
        try
        {
            await db.SaveChangesAsync(context.RequestAborted);
        }
        catch (DbUpdateException exception)
        {
            // The consumer was removed meanwhile (foreign key), or the database refused the row.
            Log.StoreWriteFailed(logger, exception);
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, SimpleSsoError.FailedToProcess);
            return;
        }

        Log.RequestTokenIssued(logger, consumer.Name);
        await audit.AppendAsync(new AuditRecord(AuditEvents.SsoRequestTokenIssued, AuditOutcome.Success) { App = AuditRecord.SimpleSsoApp(consumer.Name) }, context.RequestAborted);
        await SimpleSsoHttp.WriteEnvelopeAsync(context, request.Value, new RequestTokenResponse(requestToken), time);
    }

    private static bool IsAllowedTarget(string redirectTo, Consumer consumer)
    {
        // The Location header carries this value later; non-ASCII would not survive it.
        if (!System.Text.Ascii.IsValid(redirectTo))
        {
            return false;
        }

        var origin = RedirectOrigin.OfRedirectTarget(redirectTo);
        return origin is not null && consumer.RedirectOrigins.Contains(origin, StringComparer.Ordinal);
    }
}
