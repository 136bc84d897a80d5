using System.Text;
using System.Text.Json;
using Latchkey.SimpleSso;
using static Latchkey.Server.Tests.SimpleSso.SimpleSsoServerFixture;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary>
/// Seeded random hostile input, correctly signed so it gets past the MAC into the endpoint logic:
/// every answer must be a deliberate 2xx/3xx/4xx, never a 500.
/// </summary>
public abstract class HostileInputTests(SimpleSsoServerFixture server)
{
    private static readonly string[] Fragments =
    [
        "https://app.example", "http://app.example", "https://evil.example", "/", "//", "\\", "?", "#", "&", "=", ";", "@", ":", "%",
        "%00", "%ff", "%2F", "+", " ", "\t", "\n", "\u0000", "\u00e9", "\ud83d\ude00", "\"", "'", "<", ">", "..", ".", "access_token",
        "next", "[::1]", ":99999", ":0", "xn--", "a", "0", "{", "}", "\u202e", new string('a', 300),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RandomText(Random random, int parts)
    {
        var text = new StringBuilder();
        for (var i = 0; i < parts; i++)
        {
            text.Append(Fragments[random.Next(Fragments.Length)]);
        }

        return text.ToString();
    }

    private static object? RandomValue(Random random) => random.Next(6) switch
    {
        0 => RandomText(random, random.Next(1, 8)),
        1 => random.Next(),
        2 => null,
        3 => new[] { RandomText(random, 2) },
        4 => new Dictionary<string, string> { ["x"] = RandomText(random, 2) },
        _ => SimpleSsoTokens.New(),
    };

    [Fact]
    public async Task Signed_random_payloads_never_cause_a_server_error()
    {
        var keys = await server.NewConsumerAsync();
        var wire = server.Wire();
        var random = new Random(20261129);
        for (var i = 0; i < 150; i++)
        {
            var field = random.Next(3) switch { 0 => "redirect_to", 1 => "access_token", _ => RandomText(random, 1) };
            var json = random.Next(4) == 0
                ? RandomText(random, random.Next(1, 6))
                : JsonSerializer.Serialize(new Dictionary<string, object?> { [field] = RandomValue(random), ["extra_data"] = RandomValue(random) });
            var endpoint = random.Next(2) == 0 ? "request-token/" : "verify/";

            using var response = await wire.PostAsync(endpoint, keys.PublicKey, SimpleSsoWire.Envelope(json, keys.PrivateKey, server.Now));

            Assert.True((int)response.StatusCode is 200 or 400 or 403, $"{endpoint} {json} -> {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Random_redirect_targets_never_cause_a_server_error_at_request_token_or_authorize()
    {
        var keys = await server.NewConsumerAsync();
        var wire = server.Wire();
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());
        var random = new Random(4242);
        for (var i = 0; i < 120; i++)
        {
            var redirectTo = Origin + RandomText(random, random.Next(0, 8));
            using var response = await wire.RequestTokenAsync(keys, redirectTo, server.Now);
            Assert.True((int)response.StatusCode is 200 or 400, $"{redirectTo} -> {(int)response.StatusCode}");
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                continue;
            }

            var requestToken = RequestTokenResponse.From(SimpleSsoEnvelope.Open(
                await response.Content.ReadAsStringAsync(Ct), new TimedSigner(keys.PrivateKey), server.Now, null).Value).Value!.RequestToken;
            using var authorize = await AuthorizeAsync(browser, requestToken);
            var location = SignedAccessTokenOf(authorize);
            Assert.True(SimpleSsoTokens.IsWellFormed(SimpleSsoWire.OpenAccessToken(location, keys.PrivateKey)));
        }
    }

    [Fact]
    public async Task Random_authorize_queries_and_raw_bodies_never_cause_a_server_error()
    {
        var keys = await server.NewConsumerAsync();
        var wire = server.Wire();
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());
        var random = new Random(7);
        for (var i = 0; i < 80; i++)
        {
            var query = Uri.EscapeDataString(RandomText(random, random.Next(0, 5)));
            using var authorize = await browser.GetAsync("/sso/authorize/?token=" + query + "&token=" + SimpleSsoTokens.New(), Ct);
            Assert.True((int)authorize.StatusCode is 400 or 403, $"authorize {query} -> {(int)authorize.StatusCode}");

            var bytes = new byte[random.Next(0, 600)];
            random.NextBytes(bytes);
            using var raw = await wire.PostRawAsync(random.Next(2) == 0 ? "request-token/" : "verify/", keys.PublicKey, bytes, chunked: random.Next(2) == 0);
            Assert.Equal(400, (int)raw.StatusCode);
        }
    }
}

public sealed class HostileInputTestsOnSqlite(SqliteSimpleSsoServer server) : HostileInputTests(server), IClassFixture<SqliteSimpleSsoServer>;

public sealed class HostileInputTestsOnPostgreSql(PostgreSqlSimpleSsoServer server) : HostileInputTests(server), IClassFixture<PostgreSqlSimpleSsoServer>;
