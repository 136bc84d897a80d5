using System.Net;
using System.Text.Json;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>Sessions across nodes sharing one database, and sessions ended outside any request.</summary>
public sealed class MultiNodeSessionTests
{
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Logging_out_on_one_node_is_honoured_by_another_within_one_second(LatchkeyTestStorage storage)
    {
        await using var nodeA = LatchkeyServerFactory.For(storage, useFakeTime: true);
        await nodeA.CreateUserAsync("alice", Password);
        var cookies = new CookieContainer();
        var onA = await nodeA.SignInAsync("alice", Password, cookies);
        await using var nodeB = new LatchkeyServerFactory(useFakeTime: true, sharesStorageWith: nodeA);
        // A copy, so the cookie deletion in node A's logout response does not reach it: like a second tab's request in flight, or a stolen cookie.
        var snapshot = CopyOf(cookies);
        Assert.Equal("Signed in as alice.", await SsoSessionTests.SignedInNameAsync(nodeB.CreateBrowser(cookies: snapshot)));

        using (var logout = await SsoSessionTests.SubmitLogoutAsync(onA))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        // Node B may still answer from its cache for up to a second; not after.
        nodeB.Time!.Advance(SsoSessionStateCache.MaxAge);
        Assert.Null(await SsoSessionTests.SignedInNameAsync(nodeB.CreateBrowser(cookies: snapshot)));
    }

    [Fact]
    public async Task A_session_ended_outside_a_request_uses_the_configured_issuer_in_its_logout_token()
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        await using var factory = LatchkeyServerFactory.For(LatchkeyTestStorage.Sqlite)
            .WithSetting("Latchkey:Oidc:RequireHttps", "false")
            .WithSetting("Latchkey:Oidc:Issuer", "https://sso.example/");
        var user = await factory.CreateUserAsync("bob", Password);
        await factory.SignInAsync("bob", Password);
        await factory.WithScopeAsync(async services =>
        {
            var descriptor = new OpenIddictApplicationDescriptor { ClientId = "rp", ClientType = ClientTypes.Public, DisplayName = "rp" };
            descriptor.RedirectUris.Add(new Uri("https://rp.example/callback"));
            descriptor.Properties["backchannel_logout_uri"] = JsonSerializer.SerializeToElement(receiver.Endpoint.AbsoluteUri);
            await services.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(descriptor, Ct);
        });
        var sessionId = await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SsoSession>()
            .Where(s => s.UserId == user.Id).Select(s => s.Id).SingleAsync(Ct));
        await factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>().RecordParticipantAsync(sessionId, SsoProtocols.Oidc, "rp", Ct));

        // What `latchkey users disable` does: no HTTP request anywhere.
        var ended = await factory.WithScopeAsync(services => services.GetRequiredService<SsoSessionRegistry>()
            .EndAllForUserAsync(user.Id, SsoSessionEndReasons.UserDisabled, exceptSessionId: null, Ct));

        Assert.Equal(1, ended);
        ReceivedLogout? received = null;
        for (var i = 0; i < 1500 && !receiver.Received.TryPeek(out received); i++)
        {
            await Task.Delay(20, Ct);
        }

        Assert.NotNull(received);
        var token = new JsonWebToken(received.Form["logout_token"]);
        Assert.Equal("https://sso.example/", token.Issuer);
        Assert.Equal(sessionId.ToString("D"), token.GetClaim("sid").Value);
    }

    private static CookieContainer CopyOf(CookieContainer cookies)
    {
        var copy = new CookieContainer();
        foreach (Cookie cookie in cookies.GetAllCookies())
        {
            copy.Add(cookie);
        }

        return copy;
    }
}
