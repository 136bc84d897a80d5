using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Accounts;

public sealed class SessionRevocationTests
{
    [Fact]
    public async Task Disabling_a_user_ends_their_session_at_the_next_stamp_check()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true);
        await factory.CreateUserAsync("hank", "hank's password");
        var browser = await factory.SignInAsync("hank", "hank's password");
        Assert.NotNull(await SignedInNameAsync(browser));

        await factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var user = await users.FindByNameAsync("hank");
            user!.IsActive = false;
            Assert.True((await users.UpdateAsync(user)).Succeeded);
        });

        Assert.NotNull(await SignedInNameAsync(browser)); // within the validation interval the cookie alone decides
        factory.Time!.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task An_active_user_stays_signed_in_across_stamp_checks()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true);
        await factory.CreateUserAsync("ivy", "ivy's password");
        var browser = await factory.SignInAsync("ivy", "ivy's password");

        factory.Time!.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal("Signed in as ivy.", await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Session_expires_after_eight_idle_hours()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true);
        await factory.CreateUserAsync("jack", "jack's password");
        var browser = await factory.SignInAsync("jack", "jack's password");

        factory.Time!.Advance(TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1));

        Assert.Null(await SignedInNameAsync(browser));
    }

    private static async Task<string?> SignedInNameAsync(HttpClient browser)
    {
        using var response = await browser.GetAsync("/");
        return (await HtmlForms.ParseAsync(response)).QuerySelector("#signed-in")?.TextContent.Trim();
    }
}
