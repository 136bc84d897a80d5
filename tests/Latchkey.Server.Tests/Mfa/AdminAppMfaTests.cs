using System.Net;
using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Oidc;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Mfa;

/// <summary>The "requires MFA" switch on the admin consumer and client edit pages.</summary>
public sealed class AdminAppMfaTests
{
    [Fact]
    public async Task The_consumer_edit_page_turns_the_requirement_on_and_off()
    {
        await using var factory = new LatchkeyServerFactory();
        await factory.CreateConsumerAsync("payroll", "https://payroll.example");
        var admin = await factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var on = await MfaTestKit.SubmitAsync(admin, "/admin/consumers/edit?name=payroll", "app-mfa", new Dictionary<string, string?> { ["requireMfa"] = "true" });
        Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
        Assert.True(await ConsumerAsync(factory, "payroll"));
        var page = await MfaTestKit.GetPageAsync(admin, "/admin/consumers/edit?name=payroll");
        Assert.True(page.QuerySelector("#requireMfa")!.HasAttribute("checked"));

        using var off = await MfaTestKit.SubmitAsync(admin, "/admin/consumers/edit?name=payroll", "app-mfa", new Dictionary<string, string?> { ["requireMfa"] = null });
        Assert.False(await ConsumerAsync(factory, "payroll"));
    }

    [Fact]
    public async Task The_client_edit_page_sets_require_mfa_and_bad_posts_are_4xx()
    {
        await using var host = await new OidcTestHost().StartAsync();
        await host.CreateClientAsync("hr");
        var admin = await host.Factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var on = await MfaTestKit.SubmitAsync(admin, "/admin/clients/edit?clientId=hr", "app-mfa", new Dictionary<string, string?> { ["requireMfa"] = "true" });
        Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
        Assert.True(await host.Factory.WithScopeAsync(s => s.GetRequiredService<AppMfaSettings>().GetClientAsync("hr", CancellationToken.None)));

        var editPage = await MfaTestKit.GetPageAsync(admin, "/admin/clients/edit?clientId=hr");
        var pageUri = new Uri(admin.BaseAddress!, "/admin/clients/edit?clientId=hr");
        using var unknown = await HtmlForms.SubmitAsync(admin, editPage, pageUri, new Dictionary<string, string?> { ["clientId"] = "nope" }, "#app-mfa");
        using var badProtocol = await HtmlForms.SubmitAsync(admin, editPage, pageUri, new Dictionary<string, string?> { ["protocol"] = "saml" }, "#app-mfa");
        using var noToken = await admin.PostAsync("/admin/app-mfa", new FormUrlEncodedContent(new Dictionary<string, string> { ["protocol"] = "oidc", ["clientId"] = "hr" }));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badProtocol.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.True(await host.Factory.WithScopeAsync(s => s.GetRequiredService<AppMfaSettings>().GetClientAsync("hr", CancellationToken.None)));
    }

    private static Task<bool?> ConsumerAsync(LatchkeyServerFactory factory, string name) =>
        factory.WithScopeAsync(s => s.GetRequiredService<AppMfaSettings>().GetConsumerAsync(name, CancellationToken.None));
}
