using System.Text.Json;
using Latchkey.Server.Consumers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Server.Tests.Cli;

public sealed class ConsumersCommandTests : IDisposable
{
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Add_json_prints_exactly_name_public_key_and_private_key_that_resolve()
    {
        var run = await _cli.RunAsync("consumers", "add", "blog", "--redirect-origin", "https://blog.example.com", "--redirect-origin", "http://127.0.0.2:8000", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(["name", "public_key", "private_key"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("blog", json.RootElement.GetProperty("name").GetString());
        var publicKey = json.RootElement.GetProperty("public_key").GetString()!;
        var privateKey = json.RootElement.GetProperty("private_key").GetString()!;

        var resolved = await _cli.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(publicKey, CancellationToken.None));
        Assert.NotNull(resolved);
        Assert.Equal(privateKey, resolved.PrivateKey);
        Assert.Equal(["https://blog.example.com", "http://127.0.0.2:8000"], resolved.Consumer.RedirectOrigins);
    }

    [Fact]
    public async Task Add_text_prints_both_keys_once()
    {
        var run = await _cli.RunAsync("consumers", "add", "shop", "--redirect-origin", "https://shop.example.com");

        Assert.Equal(0, run.ExitCode);
        var keys = ParseTextKeys(run.Output);
        var resolved = await _cli.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(keys.PublicKey, CancellationToken.None));
        Assert.Equal(keys.PrivateKey, resolved?.PrivateKey);
    }

    [Fact]
    public async Task Show_lists_origins_and_public_keys_but_never_the_private_key()
    {
        var keys = await AddAsync("wiki", "https://wiki.example.com");
        var rotated = Json(await _cli.RunAsync("consumers", "rotate-keys", "wiki", "--json"));

        var show = await _cli.RunAsync("consumers", "show", "wiki");

        Assert.Equal(0, show.ExitCode);
        Assert.Contains("https://wiki.example.com", show.Output, StringComparison.Ordinal);
        Assert.Contains(keys.PublicKey, show.Output, StringComparison.Ordinal);
        Assert.Contains(rotated.PublicKey, show.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(keys.PrivateKey, show.Output + show.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(rotated.PrivateKey, show.Output + show.Error, StringComparison.Ordinal);

        var list = await _cli.RunAsync("consumers", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("wiki", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(keys.PrivateKey, list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_and_list_json_carry_public_parts_only()
    {
        var old = await AddAsync("api", "https://api.example.com");
        var rotated = Json(await _cli.RunAsync("consumers", "rotate-keys", "api", "--overlap", "0", "--json"));

        var show = await _cli.RunAsync("consumers", "show", "api", "--json");
        var list = await _cli.RunAsync("consumers", "list", "--json");

        Assert.Equal(0, show.ExitCode);
        Assert.Equal(0, list.ExitCode);
        using var json = JsonDocument.Parse(show.Output);
        var root = json.RootElement;
        Assert.Equal(["name", "redirect_origins", "grant_staff", "grant_superuser", "created_at", "keys"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("https://api.example.com", root.GetProperty("redirect_origins")[0].GetString());
        var keys = root.GetProperty("keys").EnumerateArray().ToList();
        Assert.Equal([old.PublicKey, rotated.PublicKey], keys.Select(k => k.GetProperty("public_key").GetString()));
        Assert.Equal([false, true], keys.Select(k => k.GetProperty("live").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, keys[1].GetProperty("expires_at").ValueKind);
        using var listJson = JsonDocument.Parse(list.Output);
        Assert.Equal("api", Assert.Single(listJson.RootElement.EnumerateArray()).GetProperty("name").GetString());
        foreach (var secret in new[] { old.PrivateKey, rotated.PrivateKey })
        {
            Assert.DoesNotContain(secret, show.Output + list.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rotate_keys_prints_a_new_pair_and_old_keys_work_until_the_overlap_ends()
    {
        var old = await AddAsync("crm", "https://crm.example.com");

        var run = await _cli.RunAsync("consumers", "rotate-keys", "crm", "--overlap", "30m", "--json");

        Assert.Equal(0, run.ExitCode);
        var rotated = Json(run);
        Assert.NotEqual(old.PublicKey, rotated.PublicKey);
        Assert.NotEqual(old.PrivateKey, rotated.PrivateKey);

        var summary = await _cli.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().GetAsync("crm", CancellationToken.None));
        var oldKey = summary!.Keys.Single(k => k.PublicKey == old.PublicKey);
        var newKey = summary.Keys.Single(k => k.PublicKey == rotated.PublicKey);
        Assert.Equal(TimeSpan.FromMinutes(30), oldKey.ExpiresAt - newKey.CreatedAt);
        Assert.Null(newKey.ExpiresAt);

        // Judge the keys on a clock set just before and at the end of the overlap.
        var clock = new FakeTimeProvider(newKey.CreatedAt);
        clock.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        Assert.Equal(old.PrivateKey, (await ResolveAsync(old.PublicKey, clock))?.PrivateKey);
        Assert.Equal(rotated.PrivateKey, (await ResolveAsync(rotated.PublicKey, clock))?.PrivateKey);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await ResolveAsync(old.PublicKey, clock));
        Assert.Equal(rotated.PrivateKey, (await ResolveAsync(rotated.PublicKey, clock))?.PrivateKey);
    }

    [Theory]
    [InlineData(null, 24 * 60)]
    [InlineData("7d", 7 * 24 * 60)]
    [InlineData("1.00:00:00", 24 * 60)]
    [InlineData("90m", 90)]
    public async Task Rotate_keys_reads_the_overlap_in_several_forms(string? overlap, int expectedMinutes)
    {
        var old = await AddAsync("app", "https://app.example.com");
        string[] args = overlap is null
            ? ["consumers", "rotate-keys", "app", "--json"]
            : ["consumers", "rotate-keys", "app", "--overlap", overlap, "--json"];

        var rotated = Json(await _cli.RunAsync(args));

        var summary = await _cli.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().GetAsync("app", CancellationToken.None));
        var created = summary!.Keys.Single(k => k.PublicKey == rotated.PublicKey).CreatedAt;
        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), summary.Keys.Single(k => k.PublicKey == old.PublicKey).ExpiresAt - created);
    }

    [Fact]
    public async Task Rotate_keys_with_a_bad_overlap_is_a_usage_error_and_changes_nothing()
    {
        var old = await AddAsync("docs", "https://docs.example.com");

        var run = await _cli.RunAsync("consumers", "rotate-keys", "docs", "--overlap", "soon");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'soon' is not a duration", run.Error, StringComparison.Ordinal);
        var summary = await _cli.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().GetAsync("docs", CancellationToken.None));
        Assert.Equal([old.PublicKey], summary!.Keys.Select(k => k.PublicKey));
    }

    [Fact]
    public async Task Remove_deletes_the_consumer_and_its_keys()
    {
        var keys = await AddAsync("old", "https://old.example.com");

        var run = await _cli.RunAsync("consumers", "remove", "old");

        Assert.Equal(0, run.ExitCode);
        Assert.Null(await ResolveAsync(keys.PublicKey, TimeProvider.System));
        Assert.Equal(1, (await _cli.RunAsync("consumers", "show", "old")).ExitCode);
    }

    [Theory]
    [InlineData("show")]
    [InlineData("remove")]
    [InlineData("rotate-keys")]
    public async Task Commands_on_an_unknown_consumer_exit_1_with_one_line(string command)
    {
        var run = await _cli.RunAsync("consumers", command, "ghost");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("latchkey: no consumer named 'ghost'.", run.Error.Trim());
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Add_with_a_bad_origin_exits_1_with_the_registrys_reason()
    {
        var run = await _cli.RunAsync("consumers", "add", "bad", "--redirect-origin", "https://bad.example.com/some/path");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is not a redirect origin", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.Equal(1, (await _cli.RunAsync("consumers", "show", "bad")).ExitCode);
    }

    [Fact]
    public async Task Add_of_a_duplicate_name_exits_1()
    {
        await AddAsync("dup", "https://dup.example.com");

        var run = await _cli.RunAsync("consumers", "add", "dup", "--redirect-origin", "https://dup.example.com");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("latchkey: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_without_an_origin_is_a_usage_error()
    {
        var run = await _cli.RunAsync("consumers", "add", "lonely");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--redirect-origin", run.Error, StringComparison.Ordinal);
    }

    private async Task<CreatedConsumer> AddAsync(string name, string origin) =>
        Json(await _cli.RunAsync("consumers", "add", name, "--redirect-origin", origin, "--json"));

    private Task<ResolvedConsumerKey?> ResolveAsync(string publicKey, TimeProvider clock) =>
        _cli.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(publicKey, CancellationToken.None), clock);

    private static CreatedConsumer Json(CliRun run)
    {
        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        return new CreatedConsumer(root.GetProperty("name").GetString()!, root.GetProperty("public_key").GetString()!, root.GetProperty("private_key").GetString()!);
    }

    private static CreatedConsumer ParseTextKeys(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        string Value(string label) => lines.Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();
        return new CreatedConsumer("", Value("Public key:"), Value("Private key:"));
    }
}
