using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latchkey.Client.Tests.Infrastructure;

/// <summary>Which itsdangerous the emulated Python server runs on; it decides the freshness check and the response epoch.</summary>
public enum PythonItsDangerous
{
    /// <summary>0.24, as django-simple-sso 1.x pins: 2011 epoch, expired iff age &gt; 5 s, no negative-age check.</summary>
    V0_24,

    /// <summary>2.x: Unix epoch, expired iff age &gt; 5 s or age &lt; 0.</summary>
    V2,
}

/// <summary>What the fake server's verify endpoint does.</summary>
public enum VerifyBehaviour
{
    Normal,
    Always500,
    SignWithWrongKey,
}

/// <summary>
/// A django-simple-sso 1.2 server on real Kestrel, behaving like the seed: 5 s max_age on requests, reusable tokens,
/// 500 for unknown tokens at verify, Python <c>json.dumps</c> formatting, and the authorize redirect built the Python way.
/// There is no login page: authorize binds the request token to <see cref="SignedInUser"/>.
/// </summary>
public sealed class FakeSimpleSsoServer : IAsyncDisposable
{
    public const string PublicKey = "pubKEYabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    public const string DefaultPrivateKey = "privKEYabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
    private static readonly TimeSpan TokenTimeout = TimeSpan.FromMinutes(5);

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, FakeToken> _tokens = new();

    private FakeSimpleSsoServer(WebApplication app, TimeProvider time, PythonItsDangerous version, string privateKey)
    {
        _app = app;
        _time = time;
        Version = version;
        PrivateKey = privateKey;
    }

    public PythonItsDangerous Version { get; }

    public string PrivateKey { get; }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The SSO base URL a client is configured with, ending with '/'.</summary>
    public string SsoUrl => BaseUrl + "sso/";

    /// <summary>The user payload fields in emission order, each value as raw JSON.</summary>
    public List<KeyValuePair<string, string>> SignedInUser { get; set; } = Alice();

    public VerifyBehaviour Verify { get; set; } = VerifyBehaviour.Normal;

    public bool SignRequestTokenResponseWithWrongKey { get; set; }

    /// <summary>Makes access tokens; a low-entropy one exercises the compressed URL-safe form.</summary>
    public Func<string> NewAccessToken { get; set; } = NewRandomToken;

    public ConcurrentQueue<ReceivedCall> Calls { get; } = new();

    /// <summary>Every request token and raw access token issued, for checks that they never leak.</summary>
    public IEnumerable<string> IssuedSecrets => _tokens.SelectMany(t => new[] { t.Key, t.Value.AccessToken });

    public IEnumerable<string> RedirectTargets => _tokens.Values.OrderBy(t => t.Sequence).Select(t => t.RedirectTo);

    public static List<KeyValuePair<string, string>> Alice() =>
    [
        new("username", "\"alice\""),
        new("email", "\"alice@example.org\""),
        new("first_name", "\"Alice\""),
        new("last_name", "\"Liddell\""),
        new("is_staff", "false"),
        new("is_superuser", "false"),
        new("is_active", "true"),
    ];

    public static async Task<FakeSimpleSsoServer> StartAsync(PythonItsDangerous version, TimeProvider time, string privateKey = DefaultPrivateKey)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var server = new FakeSimpleSsoServer(app, time, version, privateKey);
        app.MapPost("/sso/request-token/", (Func<HttpContext, Task<IResult>>)server.RequestTokenAsync);
        app.MapGet("/sso/authorize/", (Func<HttpContext, IResult>)server.Authorize);
        app.MapPost("/sso/verify/", (Func<HttpContext, Task<IResult>>)server.VerifyAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Registers a token already bound to <see cref="SignedInUser"/>, as if authorize had run.</summary>
    public void AddBoundToken(string accessToken) =>
        _tokens[NewRandomToken()] = new FakeToken(accessToken, "http://unused/", _time.GetUtcNow(), Interlocked.Increment(ref _sequence)) { Bound = true };

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private long _sequence;

    private async Task<IResult> RequestTokenAsync(HttpContext context)
    {
        var (payload, error) = await ReadEnvelopeAsync(context, "request-token/");
        if (error is not null)
        {
            return error;
        }

        if (!payload!.Value.TryGetProperty("redirect_to", out var redirect) || redirect.ValueKind != JsonValueKind.String)
        {
            return Plain(400, "Failed to process the request");
        }

        var requestToken = NewRandomToken();
        _tokens[requestToken] = new FakeToken(NewAccessToken(), redirect.GetString()!, _time.GetUtcNow(), Interlocked.Increment(ref _sequence));
        var key = SignRequestTokenResponseWithWrongKey ? DefaultPrivateKey + "x" : PrivateKey;
        return Envelope(key, "{\"request_token\": " + JsonString(requestToken) + "}");
    }

    private IResult Authorize(HttpContext context)
    {
        var requestToken = context.Request.Query["token"].ToString();
        if (requestToken.Length == 0)
        {
            return Plain(400, "Token missing");
        }

        if (!_tokens.TryGetValue(requestToken, out var token))
        {
            return Plain(403, "Token not found");
        }

        if (_time.GetUtcNow() - token.Timestamp > TokenTimeout)
        {
            _tokens.TryRemove(requestToken, out _);
            return Plain(403, "Token timed out");
        }

        // Every hit refreshes the clock and (re)binds the user, as 1.2 does.
        token.Timestamp = _time.GetUtcNow();
        token.Bound = true;

        var signed = PyItsDangerous.DumpsUrlSafe(PrivateKey, token.AccessToken, PyItsDangerous.RawTimestamp(_time.GetUtcNow(), Version == PythonItsDangerous.V0_24));
        return Results.Redirect(AppendAccessToken(token.RedirectTo, signed));
    }

    private async Task<IResult> VerifyAsync(HttpContext context)
    {
        var (payload, error) = await ReadEnvelopeAsync(context, "verify/");
        if (error is not null)
        {
            return error;
        }

        if (!payload!.Value.TryGetProperty("access_token", out var at) || at.ValueKind != JsonValueKind.String)
        {
            return Plain(400, "Failed to process the request");
        }

        var token = _tokens.Values.FirstOrDefault(t => t.AccessToken == at.GetString());
        var live = token is { Bound: true } && _time.GetUtcNow() - token.Timestamp <= TokenTimeout;
        if (!live || Verify == VerifyBehaviour.Always500)
        {
            // django-simple-sso 1.x fails to serialise its own 403 response here.
            return Results.Content("<h1>Server Error (500)</h1>", "text/html", Encoding.UTF8, 500);
        }

        var user = "{" + string.Join(", ", SignedInUser.Select(f => JsonString(f.Key) + ": " + f.Value)) + "}";
        return Envelope(Verify == VerifyBehaviour.SignWithWrongKey ? PrivateKey + "x" : PrivateKey, user);
    }

    private async Task<(JsonElement? Payload, IResult? Error)> ReadEnvelopeAsync(HttpContext context, string endpoint)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var publicKey = request.Headers["X-Services-Public-Key"].ToString();
        Calls.Enqueue(new ReceivedCall(endpoint, publicKey, request.ContentLength, request.Headers.TransferEncoding.ToString(), body));

        // WSGI servers hand chunked bodies over empty; the view then crashes.
        if (request.ContentLength is null || body.Length == 0)
        {
            return (null, Results.Content("<h1>Server Error (500)</h1>", "text/html", Encoding.UTF8, 500));
        }

        if (publicKey.Length == 0)
        {
            return (null, Plain(400, "No public key"));
        }

        if (publicKey != PublicKey)
        {
            return (null, Plain(400, "Invalid public key"));
        }

        if (!PyItsDangerous.TryUnsign(PrivateKey, body, out var json, out var rawTimestamp))
        {
            return (null, Plain(400, "Bad Signature"));
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var expired = Version == PythonItsDangerous.V0_24
            ? now - PyItsDangerous.LegacyEpochOffset - rawTimestamp > 5
            : now - rawTimestamp is > 5 or < 0;
        if (expired)
        {
            return (null, Plain(400, "Signature expired"));
        }

        try
        {
            return (JsonDocument.Parse(json).RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return (null, Plain(400, "Failed to process the request"));
        }
    }

    private IResult Envelope(string key, string json)
    {
        var signed = PyItsDangerous.Sign(key, json, PyItsDangerous.RawTimestamp(_time.GetUtcNow(), Version == PythonItsDangerous.V0_24));
        return Results.Content(signed, "application/json", Encoding.UTF8, 200);
    }

    /// <summary>Python's urlparse + parse_qs + urlencode(quote_plus): other parameters kept, access_token appended, fragment dropped.</summary>
    private static string AppendAccessToken(string redirectTo, string signed)
    {
        var withoutFragment = redirectTo.Split('#')[0];
        var question = withoutFragment.IndexOf('?');
        var path = question < 0 ? withoutFragment : withoutFragment[..question];
        var query = question < 0 ? "" : withoutFragment[question..];
        var pairs = QueryHelpers.ParseQuery(query)
            .Where(p => p.Key != "access_token")
            .SelectMany(p => p.Value.Select(v => WebUtility.UrlEncode(p.Key) + "=" + WebUtility.UrlEncode(v)))
            .Append("access_token=" + WebUtility.UrlEncode(signed));
        return path + "?" + string.Join("&", pairs);
    }

    private static IResult Plain(int status, string text) => Results.Content(text, "text/html; charset=utf-8", Encoding.UTF8, status);

    private static string JsonString(string value) => JsonSerializer.Serialize(value);

    private static string NewRandomToken() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 64);

    private sealed class FakeToken(string accessToken, string redirectTo, DateTimeOffset timestamp, long sequence)
    {
        public string AccessToken { get; } = accessToken;

        public string RedirectTo { get; } = redirectTo;

        public long Sequence { get; } = sequence;

        public DateTimeOffset Timestamp { get; set; } = timestamp;

        public bool Bound { get; set; }
    }
}

public sealed record ReceivedCall(string Endpoint, string PublicKey, long? ContentLength, string TransferEncoding, string Body);
