using System.Net;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Oidc;
using Latchkey.Server.Tests.SimpleSso;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>One session, two protocols: an OIDC client and a simple-sso consumer log in from the same browser session, one logout ends it for both.</summary>
public sealed class CrossProtocolLogoutTests
{
    private const string Origin = "https://wiki.example";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task The_logout_token_names_the_sid_and_sub_of_the_id_token_and_simple_sso_is_signed_out_too(LatchkeyTestStorage storage)
    {
        await using var receiver = await LogoutReceiver.StartAsync();
        await using var host = await new OidcTestHost(storage).StartAsync();
        var client = await host.CreateClientAsync("rp-both", properties: new Dictionary<string, object>
        {
            ["backchannel_logout_uri"] = receiver.Endpoint.AbsoluteUri,
            ["backchannel_logout_session_required"] = true,
        });
        var consumer = await host.Factory.CreateConsumerAsync("wiki", Origin);
        var keys = new SsoKeys(consumer.PublicKey, consumer.PrivateKey);
        var wire = new SimpleSsoWire(host.Factory.CreateClient());
        var browser = await host.SignInAsync();

        var pkce = Pkce.Create();
        var code = await host.GetCodeAsync(browser, client, pkce);
        var (status, tokens) = await host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var idToken = new JsonWebToken(tokens.GetProperty("id_token").GetString());

        var requestToken = await wire.GetRequestTokenAsync(keys, Origin + "/sso/authenticate/?next=%2F", DateTimeOffset.UtcNow);
        using (var authorized = await browser.GetAsync("/sso/authorize/?token=" + requestToken, Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, authorized.StatusCode);
            Assert.StartsWith(Origin + "/", authorized.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        var session = await host.Factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SsoSession>().AsNoTracking()
            .Include(s => s.Participants).SingleAsync(s => s.UserId == host.UserId, Ct));
        Assert.Equal(session.Id.ToString("D"), idToken.GetClaim("sid").Value);
        Assert.Equal(
            [("oidc", "rp-both"), ("simple-sso", "wiki")],
            session.Participants.Select(p => (p.Protocol, p.ClientId)).Order().ToList());

        using (var logout = await SsoSessionTests.SubmitLogoutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        var received = await WaitForAsync(() => receiver.Received.TryPeek(out var r) ? r : null);
        var logoutToken = new JsonWebToken(received.Form["logout_token"]);
        Assert.Equal(idToken.GetClaim("sid").Value, logoutToken.GetClaim("sid").Value);
        Assert.Equal(idToken.Subject, logoutToken.Subject);
        Assert.Equal(idToken.Issuer, logoutToken.Issuer);
        Assert.Equal(["rp-both"], logoutToken.Audiences);

        var next = await wire.GetRequestTokenAsync(keys, Origin + "/sso/authenticate/?next=%2F", DateTimeOffset.UtcNow);
        using var afterLogout = await browser.GetAsync("/sso/authorize/?token=" + next, Ct);
        Assert.Equal(HttpStatusCode.Redirect, afterLogout.StatusCode);
        Assert.StartsWith("/account/login?returnUrl=", afterLogout.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe)
        where T : class
    {
        for (var i = 0; i < 1500; i++)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(20, Ct);
        }

        throw new Xunit.Sdk.XunitException("Nothing arrived within 30 s.");
    }
}
