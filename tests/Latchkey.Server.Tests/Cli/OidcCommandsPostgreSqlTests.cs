using System.Text.Json;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Tests.Cli;

/// <summary>The clients and keys commands on PostgreSQL (skipped unless LATCHKEY_TEST_POSTGRES is set).</summary>
public sealed class OidcCommandsPostgreSqlTests
{
    [Fact]
    public async Task Clients_and_keys_commands_work_on_postgresql()
    {
        using var cli = new CliTestEnvironment(LatchkeyTestStorage.PostgreSql);

        var add = await cli.RunAsync("clients", "add", "svc", "--type", "confidential", "--grant", "client_credentials", "--scope", "profile", "--json");
        Assert.Equal(0, add.ExitCode);
        var first = JsonDocument.Parse(add.Output).RootElement.GetProperty("client_secret").GetString()!;
        var rotate = await cli.RunAsync("clients", "rotate-secret", "svc", "--json");
        Assert.Equal(0, rotate.ExitCode);
        var second = JsonDocument.Parse(rotate.Output).RootElement.GetProperty("client_secret").GetString()!;
        var checks = await cli.WithScopeAsync(async services =>
        {
            var manager = services.GetRequiredService<IOpenIddictApplicationManager>();
            var application = (await manager.FindByClientIdAsync("svc"))!;
            return (await manager.ValidateClientSecretAsync(application, first), await manager.ValidateClientSecretAsync(application, second));
        });
        Assert.Equal((false, true), checks);

        Assert.Equal(0, (await cli.RunAsync("keys", "rotate")).ExitCode);
        var keys = JsonDocument.Parse((await cli.RunAsync("keys", "list", "--json")).Output).RootElement.EnumerateArray().ToList();
        // Rotating RS256 also rotates the A256KW encryption key (same switch time); ES256 is left alone.
        Assert.Equal(
            ["A256KW active", "A256KW next", "ES256 active", "RS256 active", "RS256 next"],
            keys.Select(k => $"{k.GetProperty("algorithm").GetString()} {k.GetProperty("status").GetString()}").Order(StringComparer.Ordinal));
        Assert.Equal(0, (await cli.RunAsync("clients", "remove", "svc")).ExitCode);
    }
}
