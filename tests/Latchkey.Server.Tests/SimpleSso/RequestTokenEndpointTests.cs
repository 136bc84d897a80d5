using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Latchkey.SimpleSso;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.SimpleSso.SimpleSsoServerFixture;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary><c>POST /sso/request-token/</c>: protocol §3.1, with Latchkey's origin check and limits.</summary>
public abstract partial class RequestTokenEndpointTests(SimpleSsoServerFixture server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TimestampEpoch.Unix)]
    [InlineData(TimestampEpoch.Legacy2011)]
    public async Task Answers_a_signed_request_token_in_the_senders_epoch(TimestampEpoch epoch)
    {
        var keys = await server.NewConsumerAsync();
        var request = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("redirect_to", RedirectTo)), keys.PrivateKey, server.Now, epoch);

        using var response = await server.Wire().PostAsync("request-token/", keys.PublicKey, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SimpleSsoWire.HtmlUtf8, response.Content.Headers.ContentType?.ToString());
        var body = await response.Content.ReadAsStringAsync(Ct);
        var match = ResponseShape().Match(body);
        Assert.True(match.Success, body);

        // Byte-exact: the same JSON signed by the consumer's key at the same second in the same epoch.
        var requestToken = match.Groups["token"].Value;
        Assert.Equal(new TimedSigner(keys.PrivateKey).Sign($"{{\"request_token\":\"{requestToken}\"}}", server.Now, epoch), body);
        Assert.Equal(request.Split('.')[^2], body.Split('.')[^2]);
        var unsigned = new TimedSigner(keys.PrivateKey).Unsign(body);
        Assert.Equal(epoch, unsigned.Value!.Epoch);
    }

    [Fact]
    public async Task Stores_only_a_hash_of_the_request_token_with_the_lifetime()
    {
        var keys = await server.NewConsumerAsync();

        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        var row = await server.FindTokenByRequestTokenAsync(requestToken);
        Assert.NotNull(row);
        Assert.Equal(Sha256Hex(requestToken), row.RequestTokenHash);
        Assert.Null(row.AccessTokenHash);
        Assert.Null(row.UserId);
        Assert.Equal(RedirectTo, row.RedirectTo);
        Assert.Equal(server.Now + TimeSpan.FromMinutes(5), row.ExpiresAt);
    }

    [Fact]
    public async Task Each_request_gets_a_new_token()
    {
        var keys = await server.NewConsumerAsync();

        var first = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);
        var second = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);

        Assert.NotEqual(first, second);
        Assert.True(SimpleSsoTokens.IsWellFormed(first));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Other_methods_get_405_POST(string method)
    {
        using var response = await server.Factory.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), "/sso/request-token/"), Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("POST", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(["POST"], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Missing_public_key_header_is_refused()
    {
        var keys = await server.NewConsumerAsync();
        var body = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("redirect_to", RedirectTo)), keys.PrivateKey, server.Now);

        using var missing = await server.Wire().PostAsync("request-token/", null, body);
        using var empty = await server.Wire().PostAsync("request-token/", "", body);

        await AssertRefusedAsync(missing, SimpleSsoError.NoPublicKey);
        await AssertRefusedAsync(empty, SimpleSsoError.NoPublicKey);
    }

    [Fact]
    public async Task Unknown_public_key_is_refused()
    {
        var keys = await server.NewConsumerAsync();
        var body = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("redirect_to", RedirectTo)), keys.PrivateKey, server.Now);

        using var response = await server.Wire().PostAsync("request-token/", SimpleSsoTokens.New(), body);

        await AssertRefusedAsync(response, SimpleSsoError.InvalidPublicKey);
    }

    [Fact]
    public async Task Signed_with_another_consumers_key_is_a_bad_signature()
    {
        var keys = await server.NewConsumerAsync();
        var other = await server.NewConsumerAsync();

        using var response = await server.Wire().RequestTokenAsync(keys with { PrivateKey = other.PrivateKey }, RedirectTo, server.Now);

        await AssertRefusedAsync(response, SimpleSsoError.BadSignature);
    }

    private static string[] MalformedEnvelopes(string good) =>
    [
        "",
        "garbage",
        "...",
        "{\"redirect_to\": \"https://app.example/\"}",
        good[..^1],
        good[..^27],
        good[..good.LastIndexOf('.')],
        good + "A",
        good.Replace("app.example", "app.exampl3", StringComparison.Ordinal),
        good.Insert(good.IndexOf('.', good.IndexOf('}')) + 1, "A"),
        new string('.', 100),
    ];

    [Fact]
    public async Task Truncated_tampered_or_garbage_envelopes_are_bad_signatures()
    {
        var keys = await server.NewConsumerAsync();
        var good = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("redirect_to", RedirectTo)), keys.PrivateKey, server.Now);

        foreach (var body in MalformedEnvelopes(good))
        {
            using var response = await server.Wire().PostAsync("request-token/", keys.PublicKey, body);
            await AssertRefusedAsync(response, SimpleSsoError.BadSignature);
        }
    }

    [Fact]
    public async Task Invalid_utf8_is_a_bad_signature()
    {
        var keys = await server.NewConsumerAsync();

        using var response = await server.Wire().PostRawAsync("request-token/", keys.PublicKey, [0x7B, 0xFF, 0xFE, 0x2E, 0x41]);

        await AssertRefusedAsync(response, SimpleSsoError.BadSignature);
    }

    [Theory]
    [InlineData(-30, true)]
    [InlineData(-31, false)]
    [InlineData(30, true)]
    [InlineData(31, false)]
    [InlineData(-86400, false)]
    public async Task Timestamps_are_accepted_within_the_clock_skew_in_both_epochs(int offsetSeconds, bool accepted)
    {
        var keys = await server.NewConsumerAsync();
        foreach (var epoch in new[] { TimestampEpoch.Unix, TimestampEpoch.Legacy2011 })
        {
            using var response = await server.Wire().RequestTokenAsync(keys, RedirectTo, server.Now.AddSeconds(offsetSeconds), epoch);
            if (accepted)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            else
            {
                await AssertRefusedAsync(response, SimpleSsoError.SignatureExpired);
            }
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"redirect\": \"https://app.example/\"}")]
    [InlineData("{\"redirect_to\": 42}")]
    [InlineData("{\"redirect_to\": \"\"}")]
    [InlineData("{\"redirect_to\": null}")]
    [InlineData("[\"redirect_to\"]")]
    [InlineData("\"https://app.example/\"")]
    [InlineData("{\"redirect_to\": \"https://app.example/\"")]
    [InlineData("not json")]
    public async Task Payloads_without_a_redirect_to_string_fail_to_process(string json)
    {
        var keys = await server.NewConsumerAsync();

        using var response = await server.Wire().PostAsync("request-token/", keys.PublicKey, SimpleSsoWire.Envelope(json, keys.PrivateKey, server.Now));

        await AssertRefusedAsync(response, SimpleSsoError.FailedToProcess);
    }

    [Theory]
    [InlineData("https://evil.example/sso/authenticate/")]
    [InlineData("http://app.example/sso/authenticate/")]
    [InlineData("https://app.example:8443/sso/authenticate/")]
    [InlineData("https://app.example.evil.example/")]
    [InlineData("https://app.example@evil.example/")]
    [InlineData("https://user:pw@app.example/")]
    [InlineData("https://evil.example\\@app.example/")]
    [InlineData("https://app.example\\@evil.example/")]
    [InlineData("//app.example/sso/authenticate/")]
    [InlineData("/sso/authenticate/")]
    [InlineData("https:app.example/")]
    [InlineData("javascript://app.example/%0aalert(1)")]
    [InlineData("ftp://app.example/")]
    [InlineData("https://app.example/pa th")]
    [InlineData("https://app.example/\u00e9")]
    public async Task Redirect_targets_outside_the_registered_origins_are_refused(string redirectTo)
    {
        var keys = await server.NewConsumerAsync();

        using var response = await server.Wire().RequestTokenAsync(keys, redirectTo, server.Now);

        await AssertRefusedAsync(response, SimpleSsoError.RedirectNotAllowed);
    }

    [Theory]
    [InlineData("https://app.example/sso/authenticate/?next=%2F")]
    [InlineData("https://APP.example/sso/authenticate/")]
    [InlineData("https://app.example:443/x")]
    [InlineData("https://app.example")]
    [InlineData("http://127.0.0.2:8001/client/authenticate/?next=%2Fprivate%2F")]
    public async Task Redirect_targets_under_any_registered_origin_are_accepted(string redirectTo)
    {
        var keys = await server.NewConsumerAsync(Origin, "http://127.0.0.2:8001");

        using var response = await server.Wire().RequestTokenAsync(keys, redirectTo, server.Now);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Redirect_targets_longer_than_2048_characters_are_refused()
    {
        var keys = await server.NewConsumerAsync();
        var prefix = Origin + "/?next=";

        using var longest = await server.Wire().RequestTokenAsync(keys, prefix + new string('a', 2048 - prefix.Length), server.Now);
        using var tooLong = await server.Wire().RequestTokenAsync(keys, prefix + new string('a', 2049 - prefix.Length), server.Now);

        Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
        await AssertRefusedAsync(tooLong, SimpleSsoError.RedirectNotAllowed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bodies_over_the_limit_get_413(bool chunked)
    {
        var keys = await server.NewConsumerAsync();
        var json = SimpleSsoWire.PythonJson(("redirect_to", RedirectTo), ("padding", new string('x', 16 * 1024)));
        var body = Encoding.UTF8.GetBytes(SimpleSsoWire.Envelope(json, keys.PrivateKey, server.Now));

        using var response = await server.Wire().PostRawAsync("request-token/", keys.PublicKey, body, chunked);

        await AssertRefusedAsync(response, SimpleSsoError.PayloadTooLarge);
    }

    [Fact]
    public async Task A_body_of_exactly_the_limit_is_read()
    {
        var keys = await server.NewConsumerAsync();
        var envelope = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("redirect_to", RedirectTo), ("padding", "")), keys.PrivateKey, server.Now);
        var padding = new string('x', (16 * 1024) - envelope.Length);
        var body = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("redirect_to", RedirectTo), ("padding", padding)), keys.PrivateKey, server.Now);
        Assert.Equal(16 * 1024, body.Length);

        using var response = await server.Wire().PostAsync("request-token/", keys.PublicKey, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_expired_key_is_an_invalid_public_key()
    {
        var created = await server.Factory.CreateConsumerAsync("rotated-" + Guid.NewGuid().ToString("N"), Origin);
        var old = new SsoKeys(created.PublicKey, created.PrivateKey);
        var rotated = await server.Factory.WithScopeAsync(s =>
            s.GetRequiredService<Latchkey.Server.Consumers.ConsumerRegistry>().RotateKeysAsync(created.Name, TimeSpan.Zero, Ct));

        using var response = await server.Wire().RequestTokenAsync(old, RedirectTo, server.Now);
        using var fresh = await server.Wire().RequestTokenAsync(new SsoKeys(rotated!.PublicKey, rotated.PrivateKey), RedirectTo, server.Now);

        await AssertRefusedAsync(response, SimpleSsoError.InvalidPublicKey);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [GeneratedRegex("^\\{\"request_token\":\"(?<token>[A-Za-z0-9]{64})\"\\}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27}$")]
    private static partial Regex ResponseShape();
}

public sealed class RequestTokenEndpointTestsOnSqlite(SqliteSimpleSsoServer server) : RequestTokenEndpointTests(server), IClassFixture<SqliteSimpleSsoServer>;

public sealed class RequestTokenEndpointTestsOnPostgreSql(PostgreSqlSimpleSsoServer server) : RequestTokenEndpointTests(server), IClassFixture<PostgreSqlSimpleSsoServer>;
