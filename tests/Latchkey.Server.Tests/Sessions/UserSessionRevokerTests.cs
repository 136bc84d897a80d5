using System.Globalization;
using System.Net;
using Latchkey.Server.Pages.Admin;
using Latchkey.Server.Sessions;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Oidc;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.Sessions.SsoSessionTests;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>Contract 2 (sign a user out everywhere: sessions and OIDC tokens) and contract 5 (step-up renews the session).</summary>
public sealed class UserSessionRevokerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TestClient Client, string Access, string Refresh)> SignInWithCodeAsync(OidcTestHost host, HttpClient browser)
    {
        var client = await host.CreateClientAsync("web");
        var pkce = Pkce.Create();
        var code = await host.GetCodeAsync(browser, client, pkce);
        var (status, body) = await host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        return (client, body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Revoking_all_ends_the_other_sessions_and_refuses_the_users_refresh_tokens(LatchkeyTestStorage storage)
    {
        await using var host = new OidcTestHost(storage);
        host.Factory.WithServices(SessionTestEndpoints.Register);
        await host.StartAsync();
        await host.Factory.CreateUserAsync("bob", OidcTestHost.Password);
        var current = await host.SignInAsync();
        var other = await host.SignInAsync();
        var bystander = await host.Factory.SignInAsync("bob", OidcTestHost.Password);
        var (client, access, refresh) = await SignInWithCodeAsync(host, other);
        var currentSid = Guid.Parse((await SessionTestEndpoints.ClaimsAsync(current)).Single(c => c.Type == "sid").Value);

        var ended = await host.Factory.WithScopeAsync(services =>
            services.GetRequiredService<UserSessionRevoker>().RevokeAllAsync(host.UserId, SsoSessionEndReasons.PasswordChanged, currentSid, Ct));

        Assert.Equal(1, ended);
        Assert.NotNull(await SignedInNameAsync(current));
        Assert.Null(await SignedInNameAsync(other));
        Assert.Equal("Signed in as bob.", await SignedInNameAsync(bystander));
        var (status, body) = await host.RefreshAsync(client, refresh);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
        Assert.False((await host.IntrospectAsync(client, access)).Body.GetProperty("active").GetBoolean());
        var sessions = await SessionsOfAsync(host.Factory, host.UserId);
        Assert.Equal(SsoSessionEndReasons.PasswordChanged, sessions.Single(s => s.Id != currentSid).EndReason);
    }

    [Fact]
    public async Task An_administrator_setting_the_password_refuses_the_users_refresh_tokens()
    {
        await using var host = new OidcTestHost();
        await host.StartAsync();
        var browser = await host.SignInAsync();
        var (client, _, refresh) = await SignInWithCodeAsync(host, browser);

        var result = await host.Factory.WithScopeAsync(services => UserAdministration.From(services).SetPasswordAsync(OidcTestHost.UserName, "an entirely new password"));

        Assert.True(result.Succeeded);
        Assert.Null(await SignedInNameAsync(browser));
        Assert.Equal("invalid_grant", (await host.RefreshAsync(client, refresh)).Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Step_up_with_the_union_of_methods_keeps_the_session_and_updates_its_methods_and_time()
    {
        await using var factory = LatchkeyServerFactory.For(LatchkeyTestStorage.Sqlite, useFakeTime: true);
        factory.WithServices(SessionTestEndpoints.Register);
        var user = await factory.CreateUserAsync("carol", OidcTestHost.Password);
        var browser = await factory.SignInAsync("carol", OidcTestHost.Password);
        var before = Assert.Single(await SessionsOfAsync(factory, user.Id));
        Assert.Equal(["pwd"], before.AuthMethods);

        factory.Time!.Advance(TimeSpan.FromMinutes(3));
        using (var stepUp = await browser.GetAsync(SessionTestEndpoints.StepUpPath + "?amr=pwd,otp,mfa", Ct))
        {
            Assert.True(stepUp.IsSuccessStatusCode);
        }

        var after = Assert.Single(await SessionsOfAsync(factory, user.Id));
        Assert.Equal(before.Id, after.Id);
        Assert.Null(after.EndedAt);
        Assert.Equal(["pwd", "otp", "mfa"], after.AuthMethods);
        Assert.Equal(factory.Time.GetUtcNow(), after.AuthenticatedAt);
        Assert.Equal(before.CreatedAt, after.CreatedAt);
        var claims = await SessionTestEndpoints.ClaimsAsync(browser);
        Assert.Contains(("sid", before.Id.ToString("D")), claims);
        Assert.Equal(["pwd", "otp", "mfa"], claims.Where(c => c.Type == "amr").Select(c => c.Value));
        Assert.Contains(("auth_time", factory.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)), claims);
    }
}
