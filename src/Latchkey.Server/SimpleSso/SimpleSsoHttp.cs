using System.Buffers;
using System.Text;
using System.Text.Json;
using Latchkey.Server.Consumers;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// The request and response plumbing shared by <c>request-token/</c> and <c>verify/</c>: method
/// and size limits, the public-key header, the signed envelope in both directions, and
/// Django-shaped plain-text errors.
/// </summary>
internal static class SimpleSsoHttp
{
    // Django labels every answer of these views, even plain-text reasons, as HTML.
    public const string ContentType = "text/html; charset=utf-8";

    public const string PublicKeyHeader = "X-Services-Public-Key";

    /// <summary>An envelope whose MAC and age were checked, and the epoch to answer in.</summary>
    public sealed record OpenedEnvelope(ResolvedConsumerKey Key, TimedSigner Signer, JsonElement Payload, TimestampEpoch Epoch);

    /// <summary>Non-POST requests: Django's <c>require_POST</c> answers 405 with the allowed method as the body.</summary>
    public static readonly SimpleSsoError MethodNotAllowed = new(StatusCodes.Status405MethodNotAllowed, "POST");

    /// <summary>
    /// Opens the request's database connection once for all of its queries (the context closes it when the request
    /// scope ends). Left to EF, each query takes a connection from the pool and returns it, and every open also runs
    /// the SQLite connection PRAGMAs: a flow's dozen queries paid that a dozen times.
    /// </summary>
    public static Task HoldConnectionAsync(LatchkeyDbContext db, CancellationToken ct) => db.Database.OpenConnectionAsync(ct);

    /// <summary>Everything before the endpoint's own logic: method, size, key, MAC, age and JSON.</summary>
    public static async Task<SimpleSsoResult<OpenedEnvelope>> ReadSignedRequestAsync(
        HttpContext context, SimpleSsoSettings settings, ConsumerRegistry consumers, TimeProvider time)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            return MethodNotAllowed;
        }

        if (request.ContentLength > settings.MaxBodyBytes)
        {
            return SimpleSsoError.PayloadTooLarge;
        }

        var body = await ReadBodyAsync(request, settings.MaxBodyBytes, context.RequestAborted);
        if (!body.IsSuccess)
        {
            return body.Error;
        }

        var publicKey = request.Headers[PublicKeyHeader].ToString();
        if (publicKey.Length == 0)
        {
            return SimpleSsoError.NoPublicKey;
        }

        var key = await consumers.FindByPublicKeyAsync(publicKey, context.RequestAborted);
        if (key is null)
        {
            return SimpleSsoError.InvalidPublicKey;
        }

        var text = SimpleSsoEnvelope.DecodeBody(body.Value, settings.MaxBodyBytes);
        if (!text.IsSuccess)
        {
            return text.Error;
        }

        var signer = new TimedSigner(key.PrivateKey);

        // Unsign first only to learn the sender's epoch, so the answer uses the same one.
        var signed = signer.Unsign(text.Value);
        if (!signed.IsSuccess)
        {
            return signed.Error;
        }

        var payload = SimpleSsoEnvelope.Open(text.Value, signer, time.GetUtcNow(), new FreshnessWindow(settings.ClockSkew, settings.ClockSkew));
        if (!payload.IsSuccess)
        {
            return payload.Error;
        }

        return new OpenedEnvelope(key, signer, payload.Value, signed.Value.Epoch);
    }

    /// <summary>Logs a refusal (reason only, never the input) and writes it as Django would.</summary>
    public static Task RefuseAsync(HttpContext context, ILogger logger, string endpoint, SimpleSsoError error)
    {
        Log.Refused(logger, endpoint, error.Status, error.Reason);
        if (error == MethodNotAllowed)
        {
            context.Response.Headers.Allow = "POST";
        }

        return WriteErrorAsync(context, error);
    }

    public static Task WriteEnvelopeAsync<T>(HttpContext context, OpenedEnvelope request, T payload, TimeProvider time) =>
        WriteTextAsync(context, StatusCodes.Status200OK, SimpleSsoEnvelope.Seal(payload, request.Signer, time.GetUtcNow(), request.Epoch));

    public static Task WriteErrorAsync(HttpContext context, SimpleSsoError error) => WriteTextAsync(context, error.Status, error.Reason);

    public static Task WriteTextAsync(HttpContext context, int status, string body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; one more means the body is too large, whatever Content-Length said.</summary>
    private static async Task<SimpleSsoResult<byte[]>> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        try
        {
            var total = 0;
            int read;
            while (total <= limit && (read = await request.Body.ReadAsync(buffer.AsMemory(total, limit + 1 - total), ct)) > 0)
            {
                total += read;
            }

            return total > limit ? SimpleSsoError.PayloadTooLarge : buffer[..total];
        }
        catch (BadHttpRequestException exception)
        {
            // Kestrel's own limits or a malformed chunked body: answer, do not fail with a 500.
            return exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? SimpleSsoError.PayloadTooLarge
                : SimpleSsoError.FailedToProcess;
        }
        catch (IOException)
        {
            // The client went away mid-body; nobody reads this answer, but it must not be a 500 in the logs.
            return SimpleSsoError.FailedToProcess;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
