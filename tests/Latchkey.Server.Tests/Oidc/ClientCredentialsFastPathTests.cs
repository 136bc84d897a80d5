using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.Server.Audit;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>
/// The client_credentials fast path answers valid requests without OpenIddict's pipeline and must be indistinguishable
/// from it: same response, same token claims and key, same audit entry; every request it does not fully understand goes
/// to OpenIddict, so errors keep OpenIddict's codes. Each test runs the same requests against a host with the fast path
/// and one without.
/// </summary>
public sealed class ClientCredentialsFastPathTests
{
    private sealed class Probe
    {
        private int _signIns;

        public int SignIns => Volatile.Read(ref _signIns);

        public void Count() => Interlocked.Increment(ref _signIns);
    }

    private static async Task<(OidcTestHost Host, TestClient Service, Probe Pipeline)> StartAsync(bool fastPath)
    {
        var host = new OidcTestHost();
        var probe = new Probe();
        host.Factory.WithSetting("Latchkey:Oidc:ClientCredentialsFastPath", fastPath ? "true" : "false")
            .WithServices(services => services.AddOpenIddict().AddServer(server =>
                server.AddEventHandler<ProcessSignInContext>(handler => handler.UseInlineHandler(_ =>
                {
                    // Counts requests that went through OpenIddict's sign-in pipeline.
                    probe.Count();
                    return default;
                }))));
        await host.StartAsync();
        return (host, await host.CreateClientAsync("service"), probe);
    }

    private static async Task<(HttpStatusCode Status, HttpResponseMessage Response, string Body)> SendAsync(
        OidcTestHost host, IDictionary<string, string> form, (string Id, string Secret)? basic = null)
    {
        using var http = host.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(form) };
        if (basic is { } credentials)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.ASCII.GetBytes(Uri.EscapeDataString(credentials.Id) + ":" + Uri.EscapeDataString(credentials.Secret))));
        }

        var response = await http.SendAsync(request);
        return (response.StatusCode, response, await response.Content.ReadAsStringAsync());
    }

    private static Dictionary<string, string> Grant(TestClient client, string? scope = null)
    {
        var form = With(ClientAuth(client), ("grant_type", "client_credentials"));
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        return form;
    }

    private static async Task<AuditEntry> LastTokenEntryAsync(OidcTestHost host) =>
        await host.Factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>().AsNoTracking()
            .Where(e => e.Event == AuditEvents.TokenIssued).OrderByDescending(e => e.Sequence).FirstAsync());

    [Fact]
    public async Task A_valid_request_gets_the_token_OpenIddict_would_issue_without_running_its_pipeline()
    {
        var (fast, fastClient, fastPipeline) = await StartAsync(fastPath: true);
        await using var fastLifetime = fast;
        var (slow, slowClient, slowPipeline) = await StartAsync(fastPath: false);
        await using var slowLifetime = slow;

        var (fastStatus, fastResponse, fastBody) = await SendAsync(fast, Grant(fastClient, "roles profile"));
        var (slowStatus, slowResponse, slowBody) = await SendAsync(slow, Grant(slowClient, "roles profile"));

        Assert.Equal(HttpStatusCode.OK, fastStatus);
        Assert.Equal(HttpStatusCode.OK, slowStatus);
        Assert.Equal(0, fastPipeline.SignIns);
        Assert.Equal(1, slowPipeline.SignIns);

        // The response: same members, same headers.
        var fastJson = JsonDocument.Parse(fastBody).RootElement;
        var slowJson = JsonDocument.Parse(slowBody).RootElement;
        Assert.Equal(slowJson.EnumerateObject().Select(p => p.Name), fastJson.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Bearer", fastJson.GetProperty("token_type").GetString());
        Assert.InRange(fastJson.GetProperty("expires_in").GetInt64(), slowJson.GetProperty("expires_in").GetInt64(), 600);
        Assert.Equal(slowResponse.Content.Headers.ContentType?.ToString(), fastResponse.Content.Headers.ContentType?.ToString());
        foreach (var header in new[] { "Cache-Control", "Pragma" })
        {
            Assert.Equal(slowResponse.Headers.GetValues(header), fastResponse.Headers.GetValues(header));
        }

        Assert.Equal(slowResponse.Content.Headers.GetValues("Expires"), fastResponse.Content.Headers.GetValues("Expires"));

        // The token: same header, same claims with the same values (except the token id and the times).
        var fastToken = ReadJwt(fastJson.GetProperty("access_token").GetString()!);
        var slowToken = ReadJwt(slowJson.GetProperty("access_token").GetString()!);
        Assert.Equal(("RS256", "at+jwt"), (fastToken.Alg, fastToken.Typ));
        Assert.Equal((slowToken.Alg, slowToken.Typ), (fastToken.Alg, fastToken.Typ));
        Assert.Equal(slowToken.Claims.Select(c => c.Type).Order(), fastToken.Claims.Select(c => c.Type).Order());
        foreach (var type in new[] { "iss", "sub", "client_id", "oi_prst", "scope" })
        {
            Assert.Equal(slowToken.GetClaim(type).Value, fastToken.GetClaim(type).Value);
        }

        Assert.Equal(slowToken.ValidTo - slowToken.IssuedAt, fastToken.ValidTo - fastToken.IssuedAt);
        Assert.True(Guid.TryParse(fastToken.Id, out _));

        // The audit trail: the same entry.
        var fastEntry = await LastTokenEntryAsync(fast);
        var slowEntry = await LastTokenEntryAsync(slow);
        Assert.Equal(
            (slowEntry.Outcome, slowEntry.ActorName, slowEntry.SubjectId, slowEntry.SubjectName, slowEntry.App, slowEntry.Details),
            (fastEntry.Outcome, fastEntry.ActorName, fastEntry.SubjectId, fastEntry.SubjectName, fastEntry.App, fastEntry.Details));
    }

    [Fact]
    public async Task The_token_is_signed_with_the_key_OpenIddict_uses_and_validates_at_introspection()
    {
        var (host, service, pipeline) = await StartAsync(fastPath: true);
        await using var lifetime = host;

        var (status, _, body) = await SendAsync(host, Grant(service));
        var token = JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
        var (introspected, active) = await host.IntrospectAsync(service, token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, introspected);
        Assert.True(active.GetProperty("active").GetBoolean());
        Assert.Equal("service", active.GetProperty("client_id").GetString());
        var jwks = await Clients.OidcClientsTestKit.JwksAsync(host);
        Assert.Contains(ReadJwt(token).Kid, jwks.GetSigningKeys().Select(k => k.KeyId));
        Assert.False(new JsonWebToken(token).TryGetClaim("scope", out _));
    }

    [Fact]
    public async Task Http_basic_client_authentication_is_served()
    {
        var (host, _, pipeline) = await StartAsync(fastPath: true);
        await using var lifetime = host;
        var basic = await host.CreateClientAsync("basic-service");

        var (status, _, body) = await SendAsync(host, new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, (basic.ClientId, basic.Secret!));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, pipeline.SignIns);
        Assert.Equal("basic-service", ReadJwt(JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!).Subject);
    }

    [Fact]
    public async Task A_client_with_feature_requirements_is_left_to_OpenIddict()
    {
        var (host, _, pipeline) = await StartAsync(fastPath: true);
        await using var lifetime = host;
        var demanding = await host.CreateClientAsync("par-service", requirePar: true);

        var (status, _, _) = await SendAsync(host, Grant(demanding));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, pipeline.SignIns);
    }

    public static TheoryData<string, string, string> RequestsLeftToOpenIddict => new()
    {
        // name, form tweak, expected error (null: success through OpenIddict)
        { "wrong secret", "client_secret=not-the-secret", "invalid_client" },
        { "unknown client", "client_id=nobody", "invalid_client" },
        { "scope the client does not hold", "scope=unknown-scope", "invalid_scope" },
        { "openid scope", "scope=openid", "" },
        { "repeated grant_type", "grant_type=client_credentials&grant_type=client_credentials", "invalid_request" },
        { "an audience", "audience=api", "invalid_request" },
        { "an unknown extra parameter", "x_trace=1", "" },
    };

    [Theory]
    [MemberData(nameof(RequestsLeftToOpenIddict))]
    public async Task Requests_the_fast_path_does_not_fully_understand_get_OpenIddict_s_answer(string name, string tweak, string error)
    {
        var (fast, fastClient, fastPipeline) = await StartAsync(fastPath: true);
        await using var fastLifetime = fast;
        var (slow, slowClient, _) = await StartAsync(fastPath: false);
        await using var slowLifetime = slow;

        var fastAnswer = await SendRawAsync(fast, fastClient, tweak);
        var slowAnswer = await SendRawAsync(slow, slowClient, tweak);

        Assert.Equal(slowAnswer.Status, fastAnswer.Status);
        Assert.Equal(slowAnswer.Error, fastAnswer.Error);
        Assert.Equal(error, fastAnswer.Error ?? string.Empty);
        Assert.True(fastAnswer.Status != HttpStatusCode.OK || fastPipeline.SignIns == 1, name);
    }

    private static async Task<(HttpStatusCode Status, string? Error)> SendRawAsync(OidcTestHost host, TestClient client, string tweak)
    {
        var pairs = new List<KeyValuePair<string, string>>
        {
            new("client_id", client.ClientId),
            new("client_secret", client.Secret!),
        };
        var extra = tweak.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList();
        pairs.RemoveAll(p => extra.Any(e => e.Key == p.Key));
        if (!extra.Any(e => e.Key == "grant_type"))
        {
            pairs.Add(new("grant_type", "client_credentials"));
        }

        pairs.AddRange(extra);
        using var http = host.Factory.CreateClient();
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(pairs));
        var body = await response.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(body).RootElement;
        return (response.StatusCode, json.TryGetProperty("error", out var e) ? e.GetString() : null);
    }

    [Fact]
    public async Task A_rotated_secret_stops_working_at_once()
    {
        var (host, service, _) = await StartAsync(fastPath: true);
        await using var lifetime = host;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(host, Grant(service))).Status);

        var rotated = await host.Factory.WithScopeAsync(services =>
            services.GetRequiredService<ClientRegistry>().RotateSecretAsync(service.ClientId, CancellationToken.None));

        var (oldStatus, _, oldBody) = await SendAsync(host, Grant(service));
        Assert.Equal(HttpStatusCode.Unauthorized, oldStatus);
        Assert.Equal("invalid_client", JsonDocument.Parse(oldBody).RootElement.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(host, Grant(service with { Secret = rotated!.ClientSecret }))).Status);
    }
}
