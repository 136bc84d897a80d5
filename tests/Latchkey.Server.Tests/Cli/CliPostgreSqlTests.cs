using System.Text.Json;
using Latchkey.Server.Consumers;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Cli;

/// <summary>The commands against PostgreSQL (skipped unless <c>LATCHKEY_TEST_POSTGRES</c> is set; CI sets it).</summary>
public sealed class CliPostgreSqlTests
{
    [Fact]
    public async Task Migrate_users_and_consumers_work_on_postgresql()
    {
        using var cli = new CliTestEnvironment(LatchkeyTestStorage.PostgreSql);

        var migrate = await cli.RunAsync("migrate");
        Assert.Equal(0, migrate.ExitCode);
        Assert.Contains("applied ", migrate.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await cli.RunAsync(["users", "add", "pg", "--email", "pg@example.com", "--password-stdin", "--admin"], "pg-password-123")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("users", "disable", "pg")).ExitCode);
        Assert.Equal(1, (await cli.RunAsync(["users", "add", "pg2", "--email", "pg2@example.com", "--password-stdin"], "short")).ExitCode);

        var add = await cli.RunAsync("consumers", "add", "pgapp", "--redirect-origin", "https://pg.example.com", "--json");
        Assert.Equal(0, add.ExitCode);
        using var json = JsonDocument.Parse(add.Output);
        var publicKey = json.RootElement.GetProperty("public_key").GetString()!;
        var privateKey = json.RootElement.GetProperty("private_key").GetString()!;
        Assert.Equal(0, (await cli.RunAsync("consumers", "rotate-keys", "pgapp", "--overlap", "1h")).ExitCode);

        var (user, isAdmin, resolved, pg2) = await cli.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var user = (await users.FindByNameAsync("pg"))!;
            return (
                user,
                await users.IsInRoleAsync(user, "admin"),
                await services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(publicKey, CancellationToken.None),
                await users.FindByNameAsync("pg2"));
        });
        Assert.False(user.IsActive);
        Assert.True(isAdmin);
        Assert.Null(pg2);
        Assert.Equal(privateKey, resolved?.PrivateKey);
        Assert.NotNull(resolved?.Key.ExpiresAt);
    }
}
