using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Http;

namespace Latchkey.Client.AspNetCore;

/// <summary>The two signed server-to-server calls, <c>request-token/</c> and <c>verify/</c>.</summary>
internal sealed class SimpleSsoBackchannel(SimpleSsoOptions options, TimeProvider time)
{
    private const string PublicKeyHeader = "X-Services-Public-Key";

    /// <summary>
    /// Posts a signed envelope and opens the signed answer (signature only, as every simple-sso client does).
    /// Any non-200 answer becomes <paramref name="rejected"/>; a Python server answers 500 for bad tokens.
    /// </summary>
    public async Task<SimpleSsoResult<JsonElement>> PostAsync<T>(string relativePath, T payload, SimpleSsoError rejected, CancellationToken ct)
    {
        var signer = new TimedSigner(options.PrivateKey);
        var body = SimpleSsoEnvelope.Seal(payload, signer, time.GetUtcNow() - options.RequestTimestampBackdate, options.TimestampEpoch);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.ServerUrl + relativePath, UriKind.Absolute));
        request.Headers.TryAddWithoutValidation(PublicKeyHeader, options.PublicKey);

        // A byte array gives a fixed Content-Length: chunked bodies reach some WSGI servers empty (they answer 500).
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        HttpResponseMessage response;
        try
        {
            response = await options.Backchannel.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException)
        {
            return Unreachable;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return Unreachable;
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return rejected;
            }

            var bytes = await ReadCappedAsync(response.Content, ct);
            if (bytes is null)
            {
                return BadResponse;
            }

            var text = SimpleSsoEnvelope.DecodeBody(bytes);
            if (!text.IsSuccess)
            {
                return BadResponse;
            }

            var opened = SimpleSsoEnvelope.Open(text.Value, signer, time.GetUtcNow(), window: null);
            return opened.IsSuccess ? opened : BadResponse;
        }
    }

    /// <summary>The SSO server could not be reached or timed out.</summary>
    public static readonly SimpleSsoError Unreachable = new(StatusCodes.Status502BadGateway, "The SSO server could not be reached.");

    /// <summary>The SSO server's answer was not an envelope signed with our private key (wrong keys, or tampering).</summary>
    public static readonly SimpleSsoError BadResponse = new(StatusCodes.Status502BadGateway, "The SSO server's answer could not be verified.");

    private static async Task<byte[]?> ReadCappedAsync(HttpContent content, CancellationToken ct)
    {
        if (content.Headers.ContentLength > SimpleSsoEnvelope.MaxBodyBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[SimpleSsoEnvelope.MaxBodyBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0)
        {
            total += read;
        }

        return total > SimpleSsoEnvelope.MaxBodyBytes ? null : buffer[..total];
    }
}
