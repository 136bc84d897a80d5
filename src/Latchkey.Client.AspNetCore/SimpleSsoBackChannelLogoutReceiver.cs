using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Latchkey.Client.AspNetCore;

/// <summary>
/// Receives the server's signed back-channel logout notice (Latchkey single-logout extension, see
/// <see cref="SingleLogoutProtocol"/>): checks method, size, key, signature, freshness and replay, then records the
/// SSO session as ended, which makes <see cref="SimpleSsoSessionValidation"/> reject every local session from it.
/// Every refusal is a 4xx with a reason and changes nothing.
/// </summary>
internal sealed class SimpleSsoBackChannelLogoutReceiver(SimpleSsoOptions options, TimeProvider time, SimpleSsoSessionStore sessions, ILogger logger)
{
    private const int MaxBodyBytes = 8 * 1024;

    private static readonly SimpleSsoError WrongKey = new(StatusCodes.Status400BadRequest, "Unknown public key");
    private static readonly SimpleSsoError Replayed = new(StatusCodes.Status400BadRequest, "Notice already received");
    private static readonly SimpleSsoError NotPost = new(StatusCodes.Status405MethodNotAllowed, "POST");

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.Headers.Allow = "POST";
            await RefuseAsync(context, NotPost);
            return;
        }

        // The public key is not secret; comparing it tells the sender which pair we hold (useful during rotation).
        if (!string.Equals(request.Headers[SingleLogoutProtocol.PublicKeyHeader].ToString(), options.PublicKey, StringComparison.Ordinal))
        {
            await RefuseAsync(context, WrongKey);
            return;
        }

        var body = await ReadBodyAsync(request, context.RequestAborted);
        if (!body.IsSuccess)
        {
            await RefuseAsync(context, body.Error);
            return;
        }

        var opened = SimpleSsoEnvelope.Open(body.Value, new TimedSigner(options.PrivateKey), time.GetUtcNow(), SingleLogoutProtocol.Freshness);
        var notice = opened.IsSuccess ? BackChannelLogoutNotice.From(opened.Value) : opened.Error;
        if (!notice.IsSuccess)
        {
            await RefuseAsync(context, notice.Error);
            return;
        }

        // A notice outlives its replay record by nothing: after the freshness window it is refused as stale anyway.
        var replayWindow = SingleLogoutProtocol.Freshness.MaxAge + SingleLogoutProtocol.Freshness.MaxFutureSkew + TimeSpan.FromMinutes(1);
        if (!await sessions.TryRecordNoticeAsync(notice.Value.Id, replayWindow, context.RequestAborted))
        {
            await RefuseAsync(context, Replayed);
            return;
        }

        await sessions.MarkEndedAsync(notice.Value.SsoSession, options.EndedSessionRetention, context.RequestAborted);
        SimpleSsoLog.BackChannelLogout(logger, notice.Value.Username);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("OK", context.RequestAborted);
    }

    private static async Task<SimpleSsoResult<string>> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return SimpleSsoError.PayloadTooLarge;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return SimpleSsoError.PayloadTooLarge;
            }
        }

        return SimpleSsoEnvelope.DecodeBody(buffer.ToArray(), MaxBodyBytes);
    }

    private Task RefuseAsync(HttpContext context, SimpleSsoError error)
    {
        SimpleSsoLog.BackChannelLogoutRefused(logger, error.Status, error.Reason);
        context.Response.StatusCode = error.Status;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(error.Reason, context.RequestAborted);
    }
}
