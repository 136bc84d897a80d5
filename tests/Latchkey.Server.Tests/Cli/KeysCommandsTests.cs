using System.Text.Json;
using Latchkey.Server.Oidc.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Cli;

public sealed class KeysCommandsTests : IDisposable
{
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task List_creates_the_first_keys_and_shows_them_active()
    {
        var run = await _cli.RunAsync("keys", "list", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        var keys = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(["A256KW", "ES256", "RS256"], keys.Select(k => k.GetProperty("algorithm").GetString()).Order(StringComparer.Ordinal));
        Assert.All(keys, k => Assert.Equal("active", k.GetProperty("status").GetString()));
        Assert.Equal(
            ["kid", "algorithm", "use", "status", "created_at", "activates_at", "retires_at", "expires_at"],
            keys[0].EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("protected", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Rotate_creates_a_next_key_and_retires_the_current_one_at_its_activation()
    {
        await _cli.RunAsync("keys", "list");
        var rotate = await _cli.RunAsync("keys", "rotate", "--algorithm", "ES256");
        Assert.Equal(0, rotate.ExitCode);
        Assert.Contains("Created ES256 key", rotate.Output, StringComparison.Ordinal);

        var keys = await _cli.WithScopeAsync(services => services.GetRequiredService<SigningKeyStore>().ListAsync(CancellationToken.None));
        var es256 = keys.Where(k => k.Algorithm == "ES256").OrderBy(k => k.CreatedAt).ToList();
        Assert.Equal(2, es256.Count);
        var (current, next) = (es256[0], es256[1]);
        Assert.Equal(TimeSpan.FromHours(1), next.ActivatesAt - next.CreatedAt);
        Assert.Equal(next.ActivatesAt, current.RetiresAt);
        Assert.True(current.ExpiresAt > current.RetiresAt + TimeSpan.FromDays(14), "retired key stays published for the refresh-token lifetime");
        Assert.Single(keys, k => k.Algorithm == "RS256");

        var list = await _cli.RunAsync("keys", "list");
        Assert.Contains(next.Kid, list.Output, StringComparison.Ordinal);
        Assert.Contains("next", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_refuses_an_unknown_algorithm()
    {
        var run = await _cli.RunAsync("keys", "rotate", "--algorithm", "HS256");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("HS256", run.Error, StringComparison.Ordinal);
    }
}
