using System.Net;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Mfa;

public sealed class AdminMfaTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly LatchkeyServerFactory _factory = new(useFakeTime: true);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Reset_removes_every_factor_and_ends_the_users_sessions()
    {
        var alice = await _factory.CreateUserAsync("alice", Password);
        var aliceBrowser = await _factory.SignInAsync("alice", Password);
        await MfaTestKit.EnrolTotpAsync(_factory, alice.Id);
        await MfaTestKit.NewRecoveryCodesAsync(_factory, alice.Id);
        var admin = await _factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        var before = await MfaTestKit.GetPageAsync(admin, "/admin/users/mfa?userName=alice");
        Assert.Equal("on", before.QuerySelector("#admin-totp")?.TextContent);
        using var reset = await MfaTestKit.SubmitAsync(admin, "/admin/users/mfa?userName=alice", "reset-mfa");

        Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);
        var factors = await _factory.WithScopeAsync(async s => await s.GetRequiredService<MfaFactors>().GetAsync(await MfaTestKit.ReloadUserAsync(_factory, alice.Id), CancellationToken.None));
        Assert.False(factors.Totp);
        Assert.Equal(0, factors.RecoveryCodes);
        Assert.False((await MfaTestKit.ReloadUserAsync(_factory, alice.Id)).TwoFactorEnabled);
        Assert.False(await MfaTestKit.IsSignedInAsync(aliceBrowser));
        Assert.Contains(await MfaTestKit.AuditOfAsync(_factory, alice.Id), e => e.Event == MfaAuditEvents.AdminMfaReset);

        // Without factors the password alone signs in again (or, if required, leads to enrolment).
        using var login = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "alice", Password, "/account/mfa");
        Assert.Equal("/account/mfa", login.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Force_enrolment_sets_the_user_requirement_and_can_be_undone()
    {
        var bob = await _factory.CreateUserAsync("bob", Password);
        var admin = await _factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var require = await MfaTestKit.SubmitAsync(admin, "/admin/users/mfa?userName=bob", "mfa-require");
        Assert.Equal(HttpStatusCode.Redirect, require.StatusCode);
        Assert.Equal(MfaRequirement.Required, (await MfaTestKit.ReloadUserAsync(_factory, bob.Id)).MfaRequirement);
        using var login = await LoginForm.SubmitAsync(_factory.CreateBrowser(), "bob", Password, "/");
        Assert.Equal("/account/mfa/totp?returnUrl=%2F", login.Headers.Location?.OriginalString);

        using var undo = await MfaTestKit.SubmitAsync(admin, "/admin/users/mfa?userName=bob", "mfa-default");
        Assert.Equal(MfaRequirement.Default, (await MfaTestKit.ReloadUserAsync(_factory, bob.Id)).MfaRequirement);
    }

    [Fact]
    public async Task Non_admins_cannot_reach_the_page_and_unknown_users_get_404()
    {
        await _factory.CreateUserAsync("carol", Password);
        var carol = await _factory.SignInAsync("carol", Password);
        var admin = await _factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var forbidden = await carol.GetAsync("/admin/users/mfa?userName=carol");
        using var unknown = await admin.GetAsync("/admin/users/mfa?userName=nobody");

        Assert.NotEqual(HttpStatusCode.OK, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
