using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.SimpleSso;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary>
/// What a django-simple-sso client puts on the wire: Python-formatted JSON envelopes signed with a
/// consumer's private key, posted with <c>X-Services-Public-Key</c>, as protocol §3.1/§4.2 describe.
/// </summary>
internal sealed class SimpleSsoWire(HttpClient http, string basePath = "/sso/")
{
    public const string HtmlUtf8 = "text/html; charset=utf-8";

    /// <summary>Python's <c>json.dumps</c> form: <c>{"key": "value"}</c> with ", " and ": " separators.</summary>
    public static string PythonJson(params (string Key, object? Value)[] members) =>
        "{" + string.Join(", ", members.Select(m => JsonSerializer.Serialize(m.Key) + ": " + JsonSerializer.Serialize(m.Value))) + "}";

    public static string Envelope(string json, string privateKey, DateTimeOffset at, TimestampEpoch epoch = TimestampEpoch.Unix) =>
        new TimedSigner(privateKey).Sign(json, at, epoch);

    public Task<HttpResponseMessage> PostRawAsync(string endpoint, string? publicKey, byte[] body, bool chunked = false)
    {
        HttpContent content = chunked
            ? new StreamContent(new NonSeekableStream(body))
            : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, basePath + endpoint) { Content = content };
        if (publicKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-services-public-key", publicKey);
        }

        return http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public Task<HttpResponseMessage> PostAsync(string endpoint, string? publicKey, string body) =>
        PostRawAsync(endpoint, publicKey, Encoding.UTF8.GetBytes(body));

    public Task<HttpResponseMessage> RequestTokenAsync(SsoKeys keys, string redirectTo, DateTimeOffset at, TimestampEpoch epoch = TimestampEpoch.Unix) =>
        PostAsync("request-token/", keys.PublicKey, Envelope(PythonJson(("redirect_to", redirectTo)), keys.PrivateKey, at, epoch));

    public Task<HttpResponseMessage> VerifyAsync(SsoKeys keys, string accessToken, DateTimeOffset at, TimestampEpoch epoch = TimestampEpoch.Unix) =>
        PostAsync("verify/", keys.PublicKey, Envelope(PythonJson(("access_token", accessToken)), keys.PrivateKey, at, epoch));

    /// <summary>Runs request-token and returns the request token; fails the test on anything but 200.</summary>
    public async Task<string> GetRequestTokenAsync(SsoKeys keys, string redirectTo, DateTimeOffset at)
    {
        using var response = await RequestTokenAsync(keys, redirectTo, at);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"request-token answered {(int)response.StatusCode} {body}");
        var payload = SimpleSsoEnvelope.Open(body, new TimedSigner(keys.PrivateKey), at, window: null);
        Assert.True(payload.IsSuccess);
        var parsed = RequestTokenResponse.From(payload.Value);
        Assert.True(parsed.IsSuccess);
        return parsed.Value.RequestToken;
    }

    /// <summary>The raw access token inside a signed <c>access_token</c> query value.</summary>
    public static string OpenAccessToken(string signed, string privateKey)
    {
        var opened = UrlSafeToken.Open(signed, new TimedSigner(privateKey), DateTimeOffset.UnixEpoch, window: null);
        Assert.True(opened.IsSuccess, opened.Error?.Reason);
        return opened.Value;
    }

    /// <summary>Makes HttpClient send the body chunked, without Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

internal sealed record SsoKeys(string PublicKey, string PrivateKey);
