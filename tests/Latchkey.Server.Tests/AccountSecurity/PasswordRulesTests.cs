using System.Buffers.Binary;
using System.Net;
using Latchkey.Server.Accounts.PasswordPolicy;
using Latchkey.Server.Pages.Admin;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.AccountSecurity;

/// <summary>The NIST SP 800-63B policy wherever a password is set, and re-hashing at sign-in.</summary>
public sealed class PasswordRulesTests
{
    [Theory]
    [InlineData("1234567", LatchkeyPasswordValidator.TooShortCode)]
    [InlineData("password", LatchkeyPasswordValidator.CommonCode)]
    [InlineData("Password1", LatchkeyPasswordValidator.CommonCode)]
    [InlineData("iloveyou", LatchkeyPasswordValidator.CommonCode)]
    [InlineData("QWERTYUIOP", LatchkeyPasswordValidator.CommonCode)]
    [InlineData("gina-the-user", LatchkeyPasswordValidator.ContextCode)]
    [InlineData("GINA.MAIL@example.com", LatchkeyPasswordValidator.ContextCode)]
    [InlineData("gina.mail", LatchkeyPasswordValidator.ContextCode)]
    public async Task Refused_passwords_name_the_rule_and_create_nothing(string password, string code)
    {
        await using var factory = new LatchkeyServerFactory();

        var result = await factory.WithScopeAsync(services => services.GetRequiredService<UserManager<LatchkeyUser>>()
            .CreateAsync(new LatchkeyUser { UserName = "gina-the-user", Email = "gina.mail@example.com" }, password));

        Assert.False(result.Succeeded);
        Assert.Equal(code, Assert.Single(result.Errors).Code);
        Assert.Null(await factory.FindUserAsync("gina-the-user"));
    }

    [Fact]
    public async Task Maximum_is_256_characters_counted_as_characters_and_longer_is_refused_not_truncated()
    {
        await using var factory = new LatchkeyServerFactory();
        var users = (Func<IServiceProvider, UserManager<LatchkeyUser>>)(s => s.GetRequiredService<UserManager<LatchkeyUser>>());

        // 256 emoji are 512 UTF-16 units but 256 characters.
        var longest = string.Concat(Enumerable.Repeat("\U0001F510", 256));
        var tooLong = new string('x', 200) + string.Concat(Enumerable.Repeat("yz", 29));
        var ok = await factory.WithScopeAsync(s => users(s).CreateAsync(new LatchkeyUser { UserName = "long" }, longest));
        var refused = await factory.WithScopeAsync(s => users(s).CreateAsync(new LatchkeyUser { UserName = "longer" }, tooLong));

        Assert.True(ok.Succeeded, string.Join(" ", ok.Errors.Select(e => e.Description)));
        Assert.Equal("Passwords must be at most 256 characters.", Assert.Single(refused.Errors).Description);
        var prefixOnly = await factory.WithScopeAsync(async s =>
        {
            var manager = users(s);
            var user = await manager.FindByNameAsync("long");
            return await manager.CheckPasswordAsync(user!, longest[..^2]);
        });
        Assert.False(prefixOnly);
    }

    [Fact]
    public async Task Limits_are_configurable_and_checked_at_startup()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Accounts:Password:MaximumLength", "32");

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);
        Assert.Contains("Latchkey:Accounts:Password:MaximumLength must be between 64", Mail.MailTests.ValidationMessage(error));
    }

    [Fact]
    public void The_bundled_list_holds_the_xato_top_30000()
    {
        var list = new CommonPasswordList();

        Assert.Equal(30_000, list.Count);
        Assert.True(list.Contains("123456"));
        Assert.True(list.Contains("TRUSTNO1"));
        Assert.False(list.Contains("correct horse battery staple"));
    }

    [Fact]
    public async Task Admin_set_password_applies_the_policy()
    {
        await using var factory = new LatchkeyServerFactory();
        await factory.CreateUserAsync("hank", "hank's first password");
        var before = (await factory.FindUserAsync("hank"))!.PasswordHash;

        var result = await factory.WithScopeAsync(s => UserAdministration.From(s).SetPasswordAsync("hank", "baseball"));

        Assert.False(result.Succeeded);
        Assert.Equal(before, (await factory.FindUserAsync("hank"))!.PasswordHash);
    }

    [Fact]
    public async Task Signing_in_rehashes_a_password_stored_with_fewer_iterations()
    {
        await using var factory = new LatchkeyServerFactory();
        await factory.CreateUserAsync("ivy", "ivy's long password");

        // Store a hash made with a weaker cost, as an older installation would have.
        await factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var user = (await users.FindByNameAsync("ivy"))!;
            var weak = new PasswordHasher<LatchkeyUser>(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions { IterationCount = 100 }));
            user.PasswordHash = weak.HashPassword(user, "ivy's long password");
            await users.UpdateAsync(user);
        });
        Assert.Equal(100, Iterations((await factory.FindUserAsync("ivy"))!.PasswordHash!));

        using var signedIn = await LoginForm.SubmitAsync(factory.CreateBrowser(), "ivy", "ivy's long password");

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(LatchkeyServerFactory.TestPasswordHashIterations, Iterations((await factory.FindUserAsync("ivy"))!.PasswordHash!));
    }

    // Identity v3 format: 0x01 | PRF (4) | iterations (4, big-endian) | salt length (4) | salt | subkey.
    private static int Iterations(string hash) => BinaryPrimitives.ReadInt32BigEndian(Convert.FromBase64String(hash).AsSpan(5, 4));
}
