using System.Net;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Mfa;
using Latchkey.Server.Tests.Oidc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>The per-app session settings form on the admin consumer and client edit pages.</summary>
public sealed class AdminAppSessionSettingsTests
{
    [Fact]
    public async Task The_consumer_edit_page_sets_and_clears_max_session_age_and_back_channel_url()
    {
        await using var factory = new LatchkeyServerFactory();
        await factory.CreateConsumerAsync("payroll", "https://payroll.example");
        var admin = await factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var set = await MfaTestKit.SubmitAsync(admin, "/admin/consumers/edit?name=payroll", "app-sessions", new Dictionary<string, string?>
        {
            ["maxSessionAge"] = "2h",
            ["backChannelLogoutUrl"] = "https://payroll.example/sso/logout/backchannel",
        });
        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        var stored = await ConsumerAsync(factory, "payroll");
        Assert.Equal(TimeSpan.FromHours(2), stored.MaxSessionAge);
        Assert.Equal("https://payroll.example/sso/logout/backchannel", stored.BackChannelLogoutUrl);
        var page = await MfaTestKit.GetPageAsync(admin, "/admin/consumers/edit?name=payroll");
        Assert.Equal("02:00:00", page.QuerySelector("#maxSessionAge")!.GetAttribute("value"));

        using var clear = await MfaTestKit.SubmitAsync(admin, "/admin/consumers/edit?name=payroll", "app-sessions", new Dictionary<string, string?>
        {
            ["maxSessionAge"] = "",
            ["backChannelLogoutUrl"] = "",
        });
        stored = await ConsumerAsync(factory, "payroll");
        Assert.Null(stored.MaxSessionAge);
        Assert.Null(stored.BackChannelLogoutUrl);
    }

    [Fact]
    public async Task A_back_channel_url_outside_the_redirect_origins_or_a_bad_age_is_refused_and_nothing_changes()
    {
        await using var factory = new LatchkeyServerFactory();
        await factory.CreateConsumerAsync("payroll", "https://payroll.example");
        var admin = await factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var foreign = await MfaTestKit.SubmitAsync(admin, "/admin/consumers/edit?name=payroll", "app-sessions", new Dictionary<string, string?>
        {
            ["maxSessionAge"] = "1h",
            ["backChannelLogoutUrl"] = "https://attacker.example/collect",
        });
        Assert.Equal(HttpStatusCode.Redirect, foreign.StatusCode);
        var page = await MfaTestKit.GetPageAsync(admin, "/admin/consumers/edit?name=payroll");
        Assert.Contains("must be under one of the consumer's redirect origins", page.Body!.TextContent, StringComparison.Ordinal);

        using var badAge = await MfaTestKit.SubmitAsync(admin, "/admin/consumers/edit?name=payroll", "app-sessions", new Dictionary<string, string?>
        {
            ["maxSessionAge"] = "soon",
        });
        Assert.Equal(HttpStatusCode.Redirect, badAge.StatusCode);

        var stored = await ConsumerAsync(factory, "payroll");
        Assert.Null(stored.MaxSessionAge);
        Assert.Null(stored.BackChannelLogoutUrl);

        using var noToken = await admin.PostAsync("/admin/app-sessions", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["protocol"] = "simple-sso",
            ["clientId"] = "payroll",
            ["maxSessionAge"] = "1h",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
    }

    [Fact]
    public async Task The_client_edit_page_sets_max_session_age()
    {
        await using var host = await new OidcTestHost().StartAsync();
        await host.CreateClientAsync("hr");
        var admin = await host.Factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var set = await MfaTestKit.SubmitAsync(admin, "/admin/clients/edit?clientId=hr", "app-sessions", new Dictionary<string, string?> { ["maxSessionAge"] = "30m" });
        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);

        var age = await host.Factory.WithScopeAsync(async services =>
        {
            var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
            var application = (await applications.FindByClientIdAsync("hr"))!;
            return ClientSettings.Read(await applications.GetPropertiesAsync(application)).MaxSessionAge;
        });
        Assert.Equal(TimeSpan.FromMinutes(30), age);
    }

    private static Task<Consumer> ConsumerAsync(LatchkeyServerFactory factory, string name) =>
        factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Consumers.AsNoTracking().SingleAsync(c => c.Name == name));
}
