using System.Net;
using System.Text.Json;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>
/// Single logout to OIDC clients that took part in a session: Back-Channel Logout 1.0 delivered to a real
/// receiver on a socket, retried with backoff when it fails, and Front-Channel Logout 1.0 iframes.
/// </summary>
public sealed class SingleLogoutTests
{
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Logout_delivers_a_signed_logout_token_to_each_participating_clients_back_channel(LatchkeyTestStorage storage)
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        await using var factory = NewServer(storage);
        var user = await factory.CreateUserAsync("alice", Password);
        await RegisterClientAsync(factory, "rp-back", new() { ["backchannel_logout_uri"] = receiver.Endpoint.AbsoluteUri, ["backchannel_logout_session_required"] = true });
        await RegisterClientAsync(factory, "rp-silent", new());
        var (browser, sessionId) = await SignInAsync(factory, "alice");
        await JoinAsync(factory, sessionId, "rp-back");
        await JoinAsync(factory, sessionId, "rp-silent");

        using (var logout = await SsoSessionTests.SubmitLogoutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        var delivery = await WaitForDeliveryAsync(factory, sessionId, d => d.Status != LogoutDeliveryStatus.Pending);
        Assert.Equal(LogoutDeliveryStatus.Delivered, delivery.Status);
        Assert.Equal(("rp-back", 1, (string?)null), (delivery.ClientId, delivery.Attempts, delivery.LastError));
        Assert.Single(await DeliveriesAsync(factory, sessionId)); // the client without a back-channel URI gets nothing

        var received = Assert.Single(receiver.Received);
        Assert.StartsWith("application/x-www-form-urlencoded", received.ContentType, StringComparison.Ordinal);
        Assert.Equal(["logout_token"], received.Form.Keys);

        var discovery = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/.well-known/openid-configuration", Ct)).RootElement;
        var issuer = discovery.GetProperty("issuer").GetString()!;
        var jwks = new JsonWebKeySet(await factory.CreateClient().GetStringAsync("/.well-known/jwks", Ct));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(received.Form["logout_token"], new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = "rp-back",
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidTypes = ["logout+jwt"],
            // The server runs on a fake clock; the lifetime is checked below against that clock.
            ValidateLifetime = false,
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);

        var token = (JsonWebToken)validation.SecurityToken;
        Assert.Equal("logout+jwt", token.Typ);
        Assert.Equal(user.Id.ToString("D"), token.Subject);
        Assert.Equal(sessionId.ToString("D"), token.GetClaim("sid").Value);
        Assert.False(string.IsNullOrEmpty(token.Id));
        Assert.False(token.TryGetPayloadValue<string>("nonce", out _));
        Assert.Equal(factory.Time!.GetUtcNow().ToUnixTimeSeconds(), token.GetPayloadValue<long>("iat"));
        Assert.Equal(120, token.GetPayloadValue<long>("exp") - token.GetPayloadValue<long>("iat"));
        var events = JsonDocument.Parse(token.GetPayloadValue<JsonElement>("events").GetRawText()).RootElement;
        Assert.Equal(JsonValueKind.Object, events.GetProperty("http://schemas.openid.net/event/backchannel-logout").ValueKind);

        // Tampering with the token breaks its signature.
        var tampered = received.Form["logout_token"][..^4] + (received.Form["logout_token"].EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        Assert.False((await new JsonWebTokenHandler().ValidateTokenAsync(tampered, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = "rp-back",
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidateLifetime = false,
        })).IsValid);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_backoff_and_the_outcome_is_recorded()
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        receiver.Status = HttpStatusCode.InternalServerError;
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        await factory.CreateUserAsync("bob", Password);
        await RegisterClientAsync(factory, "rp-flaky", new() { ["backchannel_logout_uri"] = receiver.Endpoint.AbsoluteUri });
        var (browser, sessionId) = await SignInAsync(factory, "bob");
        await JoinAsync(factory, sessionId, "rp-flaky");

        using (var logout = await SsoSessionTests.SubmitLogoutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        var first = await WaitForDeliveryAsync(factory, sessionId, d => d.Attempts == 1);
        Assert.Equal(LogoutDeliveryStatus.Pending, first.Status);
        Assert.Equal("HTTP 500", first.LastError);
        Assert.Equal(factory.Time!.GetUtcNow() + TimeSpan.FromSeconds(10), first.NextAttemptAt);

        // Not before the backoff has passed.
        var worker = factory.Services.GetRequiredService<LogoutDeliveryWorker>();
        factory.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, await worker.RunOnceAsync(Ct));
        Assert.Single(receiver.Received);

        receiver.Status = HttpStatusCode.OK;
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        // Several workers (nodes) racing for the same row: one claims it, the receiver hears once.
        await Task.WhenAll(worker.RunOnceAsync(Ct), worker.RunOnceAsync(Ct), worker.RunOnceAsync(Ct));
        var second = await WaitForDeliveryAsync(factory, sessionId, d => d.Status != LogoutDeliveryStatus.Pending);
        Assert.Equal((LogoutDeliveryStatus.Delivered, 2, (string?)null), (second.Status, second.Attempts, second.LastError));
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task A_dead_receiver_is_tried_six_times_over_about_an_hour_then_given_up()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        await factory.CreateUserAsync("carol", Password);
        await RegisterClientAsync(factory, "rp-dead", new() { ["backchannel_logout_uri"] = LogoutReceiver.DeadEndpoint().AbsoluteUri });
        var (browser, sessionId) = await SignInAsync(factory, "carol");
        await JoinAsync(factory, sessionId, "rp-dead");

        using (var logout = await SsoSessionTests.SubmitLogoutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        var worker = factory.Services.GetRequiredService<LogoutDeliveryWorker>();
        var delivery = await WaitForDeliveryAsync(factory, sessionId, d => d.Attempts == 1);
        TimeSpan[] backoff = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1)];
        for (var attempt = 2; attempt <= 6; attempt++)
        {
            Assert.Equal(LogoutDeliveryStatus.Pending, delivery.Status);
            Assert.StartsWith("request failed", delivery.LastError, StringComparison.Ordinal);
            Assert.Equal(factory.Time!.GetUtcNow() + backoff[attempt - 2], delivery.NextAttemptAt);
            factory.Time.Advance(backoff[attempt - 2]);
            await worker.RunOnceAsync(Ct);
            var expected = attempt;
            delivery = await WaitForDeliveryAsync(factory, sessionId, d => d.Attempts == expected);
        }

        Assert.Equal(LogoutDeliveryStatus.Failed, delivery.Status);
        Assert.Equal(factory.Time!.GetUtcNow(), delivery.CompletedAt);
        Assert.StartsWith("request failed", delivery.LastError, StringComparison.Ordinal);

        factory.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await worker.RunOnceAsync(Ct));
        Assert.Equal(6, (await WaitForDeliveryAsync(factory, sessionId, _ => true)).Attempts);
    }

    [Fact]
    public async Task A_receiver_that_never_answers_does_not_hold_up_the_logout_and_times_out()
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        receiver.Hang = true;
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        await factory.CreateUserAsync("dave", Password);
        await RegisterClientAsync(factory, "rp-slow", new() { ["backchannel_logout_uri"] = receiver.Endpoint.AbsoluteUri });
        var (browser, sessionId) = await SignInAsync(factory, "dave");
        await JoinAsync(factory, sessionId, "rp-slow");

        using (var logout = await SsoSessionTests.SubmitLogoutAsync(browser))
        {
            // The page answered although the receiver has not (it holds every request until disposed).
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        Assert.Null(await SsoSessionTests.SignedInNameAsync(browser));
        var delivery = await WaitForDeliveryAsync(factory, sessionId, d => d.Attempts == 1);
        Assert.Equal(("timed out", LogoutDeliveryStatus.Pending), (delivery.LastError, delivery.Status));
    }

    [Fact]
    public async Task A_receiver_that_rejects_the_token_is_not_retried()
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        receiver.Status = HttpStatusCode.BadRequest;
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        await factory.CreateUserAsync("erin", Password);
        await RegisterClientAsync(factory, "rp-picky", new() { ["backchannel_logout_uri"] = receiver.Endpoint.AbsoluteUri });
        var (browser, sessionId) = await SignInAsync(factory, "erin");
        await JoinAsync(factory, sessionId, "rp-picky");

        using (var logout = await SsoSessionTests.SubmitLogoutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        var delivery = await WaitForDeliveryAsync(factory, sessionId, d => d.Status != LogoutDeliveryStatus.Pending);
        Assert.Equal((LogoutDeliveryStatus.Failed, 1, "HTTP 400"), (delivery.Status, delivery.Attempts, delivery.LastError));
    }

    [Fact]
    public async Task The_logout_page_frames_each_participants_front_channel_logout_url_and_allows_only_those_origins()
    {
        await using var factory = NewServer(LatchkeyTestStorage.Sqlite);
        await factory.CreateUserAsync("frank", Password);
        await RegisterClientAsync(factory, "rp-front", new() { ["frontchannel_logout_uri"] = "https://front.example/logout?x=1", ["frontchannel_logout_session_required"] = true });
        await RegisterClientAsync(factory, "rp-front-plain", new() { ["frontchannel_logout_uri"] = "https://plain.example/signed-out" });
        await RegisterClientAsync(factory, "rp-not-joined", new() { ["frontchannel_logout_uri"] = "https://other.example/logout" });
        var (browser, sessionId) = await SignInAsync(factory, "frank");
        await JoinAsync(factory, sessionId, "rp-front");
        await JoinAsync(factory, sessionId, "rp-front-plain");

        using var logout = await SsoSessionTests.SubmitLogoutAsync(browser, returnUrl: "/");

        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        var page = await HtmlForms.ParseAsync(logout);
        var frames = page.QuerySelectorAll("iframe.frontchannel-logout").Select(f => f.GetAttribute("src")).ToList();
        Assert.Equal(
            [
                "https://front.example/logout?x=1&iss=" + Uri.EscapeDataString("http://localhost/") + "&sid=" + sessionId.ToString("D"),
                "https://plain.example/signed-out",
            ],
            frames);
        Assert.Equal("/", page.QuerySelector("#continue")?.GetAttribute("href"));
        var policy = Assert.Single(logout.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-src https://front.example https://plain.example;", policy + ";", StringComparison.Ordinal);
        Assert.DoesNotContain("other.example", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Empty(await DeliveriesAsync(factory, sessionId));

        // Other pages keep the policy without frame-src.
        using var home = await browser.GetAsync("/", Ct);
        Assert.DoesNotContain("frame-src", Assert.Single(home.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }

    private static LatchkeyServerFactory NewServer(LatchkeyTestStorage storage)
    {
        var factory = LatchkeyServerFactory.For(storage, useFakeTime: true);
        factory.WithServices(SessionTestEndpoints.Register).WithSetting("Latchkey:Oidc:RequireHttps", "false");
        return factory;
    }

    private static Task RegisterClientAsync(LatchkeyServerFactory factory, string clientId, Dictionary<string, object> properties) =>
        factory.WithScopeAsync(async services =>
        {
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = clientId,
                ClientType = ClientTypes.Public,
                ApplicationType = ApplicationTypes.Web,
                DisplayName = clientId,
            };
            descriptor.RedirectUris.Add(new Uri("https://" + clientId + ".example/callback"));
            foreach (var (key, value) in properties)
            {
                descriptor.Properties[key] = JsonSerializer.SerializeToElement(value);
            }

            await services.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(descriptor, Ct);
        });

    private static async Task<(HttpClient Browser, Guid SessionId)> SignInAsync(LatchkeyServerFactory factory, string userName)
    {
        var browser = await factory.SignInAsync(userName, Password);
        var sid = (await SessionTestEndpoints.ClaimsAsync(browser)).Single(c => c.Type == "sid").Value;
        return (browser, Guid.Parse(sid));
    }

    // What the OIDC authorize endpoint does when it issues a code from this session.
    private static Task JoinAsync(LatchkeyServerFactory factory, Guid sessionId, string clientId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().RecordParticipantAsync(sessionId, SsoProtocols.Oidc, clientId, Ct));

    private static Task<List<LogoutDelivery>> DeliveriesAsync(LatchkeyServerFactory factory, Guid sessionId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<LogoutDelivery>().AsNoTracking()
            .Where(d => d.SessionId == sessionId).ToListAsync(Ct));

    /// <summary>Waits (the worker runs in the background) until the session's only delivery satisfies <paramref name="condition"/>.</summary>
    private static async Task<LogoutDelivery> WaitForDeliveryAsync(LatchkeyServerFactory factory, Guid sessionId, Func<LogoutDelivery, bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        LogoutDelivery? last = null;
        while (!timeout.IsCancellationRequested)
        {
            var deliveries = await DeliveriesAsync(factory, sessionId);
            last = Assert.Single(deliveries);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(20, Ct);
        }

        throw new Xunit.Sdk.XunitException($"Delivery never reached the expected state; last: attempts {last?.Attempts}, status {last?.Status}, error {last?.LastError}.");
    }
}
