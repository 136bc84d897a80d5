using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Mfa;

/// <summary><c>--require-mfa</c> on <c>consumers add/update</c> and <c>clients add/update</c>.</summary>
public sealed class MfaCliTests : IDisposable
{
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Consumers_add_and_update_set_the_requirement()
    {
        Assert.Equal(0, (await _cli.RunAsync("consumers", "add", "payroll", "--redirect-origin", "https://payroll.example", "--require-mfa")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("consumers", "add", "wiki", "--redirect-origin", "https://wiki.example")).ExitCode);
        Assert.True(await ConsumerAsync("payroll"));
        Assert.False(await ConsumerAsync("wiki"));

        var update = await _cli.RunAsync("consumers", "update", "wiki", "--require-mfa", "true");
        Assert.Equal(0, update.ExitCode);
        Assert.Contains("requires MFA", update.Output, StringComparison.Ordinal);
        Assert.True(await ConsumerAsync("wiki"));
        Assert.Equal(0, (await _cli.RunAsync("consumers", "update", "payroll", "--require-mfa", "false")).ExitCode);
        Assert.False(await ConsumerAsync("payroll"));
    }

    [Fact]
    public async Task Clients_add_and_update_set_the_requirement()
    {
        Assert.Equal(0, (await _cli.RunAsync("clients", "add", "hr", "--type", "public", "--redirect-uri", "https://hr.example/cb", "--grant", "authorization_code", "--scope", "openid", "--require-mfa")).ExitCode);
        Assert.True(await ClientAsync("hr"));

        Assert.Equal(0, (await _cli.RunAsync("clients", "update", "hr", "--require-mfa", "false")).ExitCode);
        Assert.False(await ClientAsync("hr"));
        Assert.Equal(0, (await _cli.RunAsync("clients", "update", "hr", "--require-mfa", "true")).ExitCode);
        Assert.True(await ClientAsync("hr"));
    }

    [Fact]
    public async Task Unknown_apps_and_missing_values_fail_with_a_message()
    {
        var unknownConsumer = await _cli.RunAsync("consumers", "update", "nope", "--require-mfa", "true");
        var unknownClient = await _cli.RunAsync("clients", "update", "nope", "--require-mfa", "true");
        var nothing = await _cli.RunAsync("consumers", "update", "nope");
        var notBool = await _cli.RunAsync("clients", "update", "nope", "--require-mfa", "maybe");

        Assert.NotEqual(0, unknownConsumer.ExitCode);
        Assert.Contains("no consumer named 'nope'", unknownConsumer.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, unknownClient.ExitCode);
        Assert.Contains("nope", unknownClient.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, nothing.ExitCode);
        Assert.Contains("--require-mfa", nothing.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, notBool.ExitCode);
    }

    private Task<bool?> ConsumerAsync(string name) =>
        _cli.WithScopeAsync(services => services.GetRequiredService<AppMfaSettings>().GetConsumerAsync(name, CancellationToken.None));

    private Task<bool?> ClientAsync(string clientId) =>
        _cli.WithScopeAsync(services => services.GetRequiredService<AppMfaSettings>().GetClientAsync(clientId, CancellationToken.None));
}
