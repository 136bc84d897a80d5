using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Cli;

public sealed class UsersCommandTests : IDisposable
{
    private const string Password = "correct horse battery";
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Add_creates_an_active_user_whose_password_came_from_stdin()
    {
        var run = await _cli.RunAsync(
            ["users", "add", "alice", "--email", "alice@example.com", "--first-name", "Alice", "--last-name", "Liddell", "--password-stdin"],
            Password + "\n");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Created user 'alice'", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, run.Output + run.Error, StringComparison.Ordinal);

        var (user, passwordOk, roles) = await _cli.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var user = await users.FindByNameAsync("alice");
            Assert.NotNull(user);
            return (user, await users.CheckPasswordAsync(user, Password), await users.GetRolesAsync(user));
        });
        Assert.Equal("alice@example.com", user.Email);
        Assert.Equal("Alice", user.FirstName);
        Assert.Equal("Liddell", user.LastName);
        Assert.True(user.IsActive);
        Assert.True(passwordOk);
        Assert.Empty(roles);
    }

    [Fact]
    public async Task Add_with_admin_grants_the_admin_role_and_list_shows_it()
    {
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "root", "--email", "root@example.com", "--password-stdin", "--admin"], Password)).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "bob", "--email", "bob@example.com", "--first-name", "Bob", "--password-stdin"], Password)).ExitCode);

        var list = await _cli.RunAsync("users", "list");

        Assert.Equal(0, list.ExitCode);
        var lines = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["USERNAME", "EMAIL", "NAME", "ACTIVE", "ADMIN", "LOCKED-OUT"], Columns(lines[0]));
        Assert.Equal(["bob", "bob@example.com", "Bob", "yes", "no", "no"], Columns(lines.Single(l => l.StartsWith("bob ", StringComparison.Ordinal))));
        Assert.Equal(["root", "root@example.com", "yes", "yes", "no"], Columns(lines.Single(l => l.StartsWith("root ", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task List_json_has_one_object_per_user()
    {
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "jo", "--email", "jo@example.com", "--first-name", "Jo", "--last-name", "March", "--password-stdin", "--admin"], Password)).ExitCode);

        var run = await _cli.RunAsync("users", "list", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(run.Output);
        var user = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("jo", user.GetProperty("username").GetString());
        Assert.Equal("jo@example.com", user.GetProperty("email").GetString());
        Assert.Equal("Jo March", user.GetProperty("name").GetString());
        Assert.True(user.GetProperty("is_active").GetBoolean());
        Assert.True(user.GetProperty("is_admin").GetBoolean());
        Assert.False(user.GetProperty("locked_out").GetBoolean());
    }

    [Fact]
    public async Task Add_with_a_too_short_password_prints_identitys_error_and_creates_nothing()
    {
        var run = await _cli.RunAsync(["users", "add", "carol", "--email", "carol@example.com", "--password-stdin", "--admin"], "short\n");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Passwords must be at least 8 characters.", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.Null(await FindAsync("carol"));
    }

    [Fact]
    public async Task Add_of_an_existing_username_fails_with_exit_code_1()
    {
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "dave", "--email", "dave@example.com", "--password-stdin"], Password)).ExitCode);

        var again = await _cli.RunAsync(["users", "add", "dave", "--email", "other@example.com", "--password-stdin"], Password);

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("dave", again.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-an-email", "")]
    [InlineData("ok@example.com", "x")]
    public async Task Add_with_invalid_fields_exits_1_and_creates_nothing(string email, string longNameSeed)
    {
        var firstName = longNameSeed.Length == 0 ? "Kim" : new string('x', 151);

        var run = await _cli.RunAsync(["users", "add", "kim", "--email", email, "--first-name", firstName, "--password-stdin"], Password);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("latchkey: cannot create user 'kim': ", run.Error, StringComparison.Ordinal);
        Assert.Null(await FindAsync("kim"));
    }

    [Fact]
    public async Task Add_without_password_stdin_is_a_usage_error_and_reads_nothing()
    {
        var run = await _cli.RunAsync(["users", "add", "erin", "--email", "erin@example.com"], Password);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--password-stdin", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_with_empty_stdin_fails()
    {
        var run = await _cli.RunAsync(["users", "add", "frank", "--email", "frank@example.com", "--password-stdin"], "");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("standard input", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disable_deactivates_and_renews_the_security_stamp_and_enable_reactivates()
    {
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "gina", "--email", "gina@example.com", "--password-stdin"], Password)).ExitCode);
        var before = await FindAsync("gina");

        var disable = await _cli.RunAsync("users", "disable", "gina");

        Assert.Equal(0, disable.ExitCode);
        var disabled = await FindAsync("gina");
        Assert.False(disabled!.IsActive);
        Assert.NotEqual(before!.SecurityStamp, disabled.SecurityStamp);
        Assert.Equal(["gina", "gina@example.com", "no", "no", "no"], await ListRowAsync("gina"));

        Assert.Equal(0, (await _cli.RunAsync("users", "enable", "gina")).ExitCode);
        Assert.True((await FindAsync("gina"))!.IsActive);
    }

    [Fact]
    public async Task Set_password_replaces_the_password_and_validates_it()
    {
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "hank", "--email", "hank@example.com", "--password-stdin"], Password)).ExitCode);

        var tooShort = await _cli.RunAsync(["users", "set-password", "hank", "--password-stdin"], "short");
        Assert.Equal(1, tooShort.ExitCode);
        Assert.True(await CheckPasswordAsync("hank", Password));

        var run = await _cli.RunAsync(["users", "set-password", "hank", "--password-stdin"], "a brand new passphrase\n");

        Assert.Equal(0, run.ExitCode);
        Assert.True(await CheckPasswordAsync("hank", "a brand new passphrase"));
        Assert.False(await CheckPasswordAsync("hank", Password));
    }

    [Theory]
    [InlineData("baseball1\n", "too common")]
    [InlineData("hank\n", "must be at least 8")]
    [InlineData("hank@example.com\n", "must not be your user name or e-mail address")]
    public async Task Set_password_applies_the_password_policy(string refused, string reason)
    {
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "hank", "--email", "hank@example.com", "--password-stdin"], Password)).ExitCode);

        var run = await _cli.RunAsync(["users", "set-password", "hank", "--password-stdin"], refused);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(reason, run.Error, StringComparison.Ordinal);
        Assert.True(await CheckPasswordAsync("hank", Password));
    }

    [Fact]
    public async Task Add_refuses_a_password_longer_than_256_characters_instead_of_truncating_it()
    {
        var run = await _cli.RunAsync(["users", "add", "lena", "--email", "lena@example.com", "--password-stdin"], new string('q', 300) + "\n");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Passwords must be at most 256 characters.", run.Error, StringComparison.Ordinal);
        Assert.Null(await FindAsync("lena"));
    }

    [Fact]
    public async Task Unlock_clears_a_lockout()
    {
        Assert.Equal(0, (await _cli.RunAsync(["users", "add", "ivan", "--email", "ivan@example.com", "--password-stdin"], Password)).ExitCode);
        await _cli.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var user = await users.FindByNameAsync("ivan");
            return await users.SetLockoutEndDateAsync(user!, TimeProvider.System.GetUtcNow().AddDays(1));
        });
        Assert.Equal(["ivan", "ivan@example.com", "yes", "no", "yes"], await ListRowAsync("ivan"));

        Assert.Equal(0, (await _cli.RunAsync("users", "unlock", "ivan")).ExitCode);

        Assert.Null((await FindAsync("ivan"))!.LockoutEnd);
        Assert.Equal(["ivan", "ivan@example.com", "yes", "no", "no"], await ListRowAsync("ivan"));
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("enable")]
    [InlineData("unlock")]
    public async Task Commands_on_an_unknown_user_exit_1_with_one_line(string command)
    {
        var run = await _cli.RunAsync("users", command, "nobody");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"latchkey: cannot {command} user 'nobody': No user named 'nobody'.", run.Error.Trim());
    }

    [Fact]
    public async Task Set_password_of_an_unknown_user_exits_1()
    {
        var run = await _cli.RunAsync(["users", "set-password", "nobody", "--password-stdin"], Password);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("No user named 'nobody'.", run.Error, StringComparison.Ordinal);
    }

    private async Task<string[]> ListRowAsync(string userName)
    {
        var list = await _cli.RunAsync("users", "list");
        Assert.Equal(0, list.ExitCode);
        return Columns(list.Output.Split('\n').Single(l => l.StartsWith(userName + " ", StringComparison.Ordinal)));
    }

    private static string[] Columns(string line) => line.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private Task<LatchkeyUser?> FindAsync(string userName) =>
        _cli.WithScopeAsync(services => services.GetRequiredService<UserManager<LatchkeyUser>>().FindByNameAsync(userName));

    private Task<bool> CheckPasswordAsync(string userName, string password) =>
        _cli.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            return await users.CheckPasswordAsync((await users.FindByNameAsync(userName))!, password);
        });
}
