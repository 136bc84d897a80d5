using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Accounts;

public sealed partial class AdminBootstrapTests
{
    public static TheoryData<LatchkeyTestStorage> Providers => [LatchkeyTestStorage.Sqlite, LatchkeyTestStorage.PostgreSql];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Fresh_install_gets_one_admin_with_a_random_password_printed_once(LatchkeyTestStorage storage)
    {
        await using var first = LatchkeyServerFactory.For(storage).WithSetting("Latchkey:Bootstrap:AdminPassword", "");
        _ = first.Server;

        var printed = first.BootstrapOutput.ToString();
        var match = PrintedPassword().Match(printed);
        Assert.True(match.Success, printed);
        var password = match.Groups[1].Value;
        Assert.True(password.Length >= 20);
        Assert.Contains("latchkey users set-password admin --password-stdin", printed, StringComparison.Ordinal);
        Assert.Equal(["admin"], await AdminNamesAsync(first));
        using var signIn = await LoginForm.SubmitAsync(first.CreateBrowser(), "admin", password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);

        await using var restarted = new LatchkeyServerFactory(sharesStorageWith: first).WithSetting("Latchkey:Bootstrap:AdminPassword", "");
        _ = restarted.Server;

        Assert.Equal("", restarted.BootstrapOutput.ToString());
        Assert.Equal(["admin"], await AdminNamesAsync(restarted));
    }

    [Fact]
    public async Task Two_installs_get_different_passwords()
    {
        await using var one = new LatchkeyServerFactory().WithSetting("Latchkey:Bootstrap:AdminPassword", "");
        await using var two = new LatchkeyServerFactory().WithSetting("Latchkey:Bootstrap:AdminPassword", "");
        _ = one.Server;
        _ = two.Server;

        Assert.NotEqual(
            PrintedPassword().Match(one.BootstrapOutput.ToString()).Groups[1].Value,
            PrintedPassword().Match(two.BootstrapOutput.ToString()).Groups[1].Value);
    }

    [Fact]
    public async Task Configured_username_and_password_are_used_and_the_password_is_not_printed()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting("Latchkey:Bootstrap:AdminUsername", "root")
            .WithSetting("Latchkey:Bootstrap:AdminPassword", "configured admin password");
        _ = factory.Server;

        Assert.Equal(["root"], await AdminNamesAsync(factory));
        Assert.DoesNotContain("configured admin password", factory.BootstrapOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("'root'", factory.BootstrapOutput.ToString(), StringComparison.Ordinal);
        using var signIn = await LoginForm.SubmitAsync(factory.CreateBrowser(), "root", "configured admin password");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
    }

    [Fact]
    public async Task No_admin_is_created_while_one_exists_under_another_name()
    {
        await using var first = new LatchkeyServerFactory();
        _ = first.Server;
        await first.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var admin = await users.FindByNameAsync(LatchkeyServerFactory.AdminUserName);
            Assert.True((await users.SetUserNameAsync(admin!, "chief")).Succeeded);
        });

        await using var restarted = new LatchkeyServerFactory(sharesStorageWith: first);
        _ = restarted.Server;

        Assert.Equal(["chief"], await AdminNamesAsync(restarted));
        Assert.Equal("", restarted.BootstrapOutput.ToString());
    }

    [Fact]
    public async Task Bootstrapped_admin_reaches_the_admin_area()
    {
        await using var factory = new LatchkeyServerFactory();
        var browser = await factory.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

        using var response = await browser.GetAsync("/admin");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<string[]> AdminNamesAsync(LatchkeyServerFactory factory) =>
        factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            return (await users.GetUsersInRoleAsync(LatchkeyRoles.Admin)).Select(u => u.UserName!).ToArray();
        });

    [GeneratedRegex(@"password: (\S+)")]
    private static partial Regex PrintedPassword();
}
