using Latchkey.Server.Consumers;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Consumers;

public sealed class ConsumerRegistryTests : IAsyncLifetime
{
    private readonly SqliteTestDatabase _database = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> WithRegistry<T>(Func<ConsumerRegistry, Task<T>> action)
    {
        await using var scope = _database.Scope();
        return await action(scope.ServiceProvider.GetRequiredService<ConsumerRegistry>());
    }

    [Fact]
    public async Task Create_returns_fresh_token_shaped_keys_and_a_summary_without_the_private_key()
    {
        var created = await WithRegistry(r => r.CreateAsync("wiki", ["https://wiki.example"], Ct));

        Assert.Equal("wiki", created.Name);
        Assert.True(SimpleSsoTokens.IsWellFormed(created.PublicKey));
        Assert.True(SimpleSsoTokens.IsWellFormed(created.PrivateKey));
        Assert.NotEqual(created.PublicKey, created.PrivateKey);

        var summary = await WithRegistry(r => r.GetAsync("wiki", Ct));
        Assert.NotNull(summary);
        Assert.Equal(["https://wiki.example"], summary.RedirectOrigins);
        Assert.False(summary.GrantStaff);
        Assert.False(summary.GrantSuperuser);
        Assert.Equal(_database.Time.GetUtcNow(), summary.CreatedAt);
        var key = Assert.Single(summary.Keys);
        Assert.Equal(created.PublicKey, key.PublicKey);
        Assert.Null(key.ExpiresAt);
    }

    [Fact]
    public async Task The_private_key_is_stored_encrypted_and_decrypts_for_its_public_key()
    {
        var created = await WithRegistry(r => r.CreateAsync("wiki", ["https://wiki.example"], Ct));

        await using (var scope = _database.Scope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>().ConsumerKeys.SingleAsync(Ct);
            Assert.DoesNotContain(created.PrivateKey, row.ProtectedPrivateKey, StringComparison.Ordinal);
            Assert.NotEqual(created.PrivateKey.Length, row.ProtectedPrivateKey.Length);
        }

        var resolved = await WithRegistry(r => r.FindByPublicKeyAsync(created.PublicKey, Ct));
        Assert.NotNull(resolved);
        Assert.Equal(created.PrivateKey, resolved.PrivateKey);
        Assert.Equal("wiki", resolved.Consumer.Name);
    }

    [Fact]
    public async Task Every_consumer_gets_distinct_keys()
    {
        var a = await WithRegistry(r => r.CreateAsync("a", ["https://a.example"], Ct));
        var b = await WithRegistry(r => r.CreateAsync("b", ["https://b.example"], Ct));

        Assert.Equal(4, new HashSet<string> { a.PublicKey, a.PrivateKey, b.PublicKey, b.PrivateKey }.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" wiki")]
    [InlineData("wiki ")]
    [InlineData("wi\nki")]
    public async Task Bad_names_are_refused(string name)
    {
        await Assert.ThrowsAsync<ConsumerValidationException>(() => WithRegistry(r => r.CreateAsync(name, ["https://a.example"], Ct)));
        Assert.Empty(await WithRegistry(r => r.ListAsync(Ct)));
    }

    [Fact]
    public async Task Names_may_have_255_characters_but_not_256()
    {
        await WithRegistry(r => r.CreateAsync(new string('n', 255), ["https://a.example"], Ct));

        await Assert.ThrowsAsync<ConsumerValidationException>(() => WithRegistry(r => r.CreateAsync(new string('m', 256), ["https://a.example"], Ct)));
    }

    [Fact]
    public async Task Duplicate_names_are_refused()
    {
        await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));

        var error = await Assert.ThrowsAsync<ConsumerValidationException>(() => WithRegistry(r => r.CreateAsync("wiki", ["https://b.example"], Ct)));
        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
        Assert.Single(await WithRegistry(r => r.ListAsync(Ct)));
    }

    [Fact]
    public async Task Of_concurrent_creates_with_one_name_exactly_one_wins_and_the_rest_are_duplicates()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
        {
            try
            {
                return (object)await WithRegistry(r => r.CreateAsync("race", [$"https://r{i}.example"], Ct));
            }
            catch (ConsumerValidationException error)
            {
                return error;
            }
        }));

        Assert.Single(attempts.OfType<CreatedConsumer>());
        Assert.All(attempts.OfType<ConsumerValidationException>(), e => Assert.Contains("already exists", e.Message, StringComparison.Ordinal));
        Assert.Equal(4, attempts.OfType<ConsumerValidationException>().Count());
    }

    [Theory]
    [InlineData("https://wiki.example", "https://wiki.example")]
    [InlineData("https://wiki.example/", "https://wiki.example")]
    [InlineData("HTTPS://Wiki.EXAMPLE", "https://wiki.example")]
    [InlineData("https://wiki.example:443", "https://wiki.example")]
    [InlineData("http://wiki.example:80/", "http://wiki.example")]
    [InlineData("http://127.0.0.2:8001", "http://127.0.0.2:8001")]
    [InlineData("https://wiki.example:8443/", "https://wiki.example:8443")]
    [InlineData("http://[::1]:8080", "http://[::1]:8080")]
    public async Task Origins_are_normalised(string given, string stored)
    {
        await WithRegistry(r => r.CreateAsync("wiki", [given], Ct));

        var summary = await WithRegistry(r => r.GetAsync("wiki", Ct));
        Assert.Equal([stored], summary!.RedirectOrigins);
    }

    [Theory]
    [InlineData("wiki.example")]
    [InlineData("//wiki.example")]
    [InlineData("ftp://wiki.example")]
    [InlineData("javascript://wiki.example")]
    [InlineData("https://wiki.example/path")]
    [InlineData("https://wiki.example/./")]
    [InlineData("https://wiki.example?x=1")]
    [InlineData("https://wiki.example/?x=1")]
    [InlineData("https://wiki.example#top")]
    [InlineData("https://user@wiki.example")]
    [InlineData("https://user:pw@wiki.example/")]
    [InlineData("https://wiki .example")]
    [InlineData("https://")]
    [InlineData("")]
    public async Task Bad_origins_are_refused(string origin)
    {
        await Assert.ThrowsAsync<ConsumerValidationException>(() => WithRegistry(r => r.CreateAsync("wiki", [origin], Ct)));
        Assert.Null(await WithRegistry(r => r.GetAsync("wiki", Ct)));
    }

    [Fact]
    public async Task At_least_one_origin_is_required_and_duplicates_collapse()
    {
        await Assert.ThrowsAsync<ConsumerValidationException>(() => WithRegistry(r => r.CreateAsync("wiki", [], Ct)));

        await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example", "https://A.example/", "http://a.example"], Ct));
        var summary = await WithRegistry(r => r.GetAsync("wiki", Ct));
        Assert.Equal(["https://a.example", "http://a.example"], summary!.RedirectOrigins);
    }

    [Fact]
    public async Task Update_changes_origins_and_grants_and_reports_unknown_names()
    {
        await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));

        Assert.True(await WithRegistry(r => r.UpdateAsync("wiki", ["https://b.example"], grantStaff: true, grantSuperuser: true, Ct)));
        Assert.False(await WithRegistry(r => r.UpdateAsync("nope", ["https://b.example"], grantStaff: true, grantSuperuser: true, Ct)));
        await Assert.ThrowsAsync<ConsumerValidationException>(() => WithRegistry(r => r.UpdateAsync("wiki", ["https://b.example/x"], false, false, Ct)));

        var summary = await WithRegistry(r => r.GetAsync("wiki", Ct));
        Assert.Equal(["https://b.example"], summary!.RedirectOrigins);
        Assert.True(summary.GrantStaff);
        Assert.True(summary.GrantSuperuser);
    }

    [Fact]
    public async Task Remove_deletes_the_consumer_and_its_keys()
    {
        var created = await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));

        Assert.True(await WithRegistry(r => r.RemoveAsync("wiki", Ct)));
        Assert.False(await WithRegistry(r => r.RemoveAsync("wiki", Ct)));
        Assert.Null(await WithRegistry(r => r.FindByPublicKeyAsync(created.PublicKey, Ct)));
        await using var scope = _database.Scope();
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>().ConsumerKeys.ToListAsync(Ct));
    }

    [Fact]
    public async Task List_is_ordered_by_name()
    {
        await WithRegistry(r => r.CreateAsync("zeta", ["https://z.example"], Ct));
        await WithRegistry(r => r.CreateAsync("alpha", ["https://a.example"], Ct));

        var names = (await WithRegistry(r => r.ListAsync(Ct))).Select(c => c.Name);
        Assert.Equal(["alpha", "zeta"], names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("unknown")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task Unknown_public_keys_resolve_to_nothing(string publicKey)
    {
        await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));

        Assert.Null(await WithRegistry(r => r.FindByPublicKeyAsync(publicKey, Ct)));
    }

    [Fact]
    public async Task After_rotation_the_old_key_works_during_the_overlap_and_not_after()
    {
        var first = await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));

        var second = await WithRegistry(r => r.RotateKeysAsync("wiki", TimeSpan.FromHours(1), Ct));

        Assert.NotNull(second);
        Assert.NotEqual(first.PublicKey, second.PublicKey);
        Assert.NotEqual(first.PrivateKey, second.PrivateKey);
        _database.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(first.PrivateKey, (await WithRegistry(r => r.FindByPublicKeyAsync(first.PublicKey, Ct)))?.PrivateKey);
        Assert.Equal(second.PrivateKey, (await WithRegistry(r => r.FindByPublicKeyAsync(second.PublicKey, Ct)))?.PrivateKey);

        _database.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await WithRegistry(r => r.FindByPublicKeyAsync(first.PublicKey, Ct)));
        Assert.NotNull(await WithRegistry(r => r.FindByPublicKeyAsync(second.PublicKey, Ct)));

        var keys = (await WithRegistry(r => r.GetAsync("wiki", Ct)))!.Keys;
        Assert.Equal([first.PublicKey, second.PublicKey], keys.Select(k => k.PublicKey));
        Assert.NotNull(keys[0].ExpiresAt);
        Assert.Null(keys[1].ExpiresAt);
    }

    [Fact]
    public async Task Rotation_with_no_overlap_cuts_the_old_key_off_at_once()
    {
        var first = await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));

        var second = await WithRegistry(r => r.RotateKeysAsync("wiki", TimeSpan.Zero, Ct));

        Assert.Null(await WithRegistry(r => r.FindByPublicKeyAsync(first.PublicKey, Ct)));
        Assert.NotNull(await WithRegistry(r => r.FindByPublicKeyAsync(second!.PublicKey, Ct)));
    }

    [Fact]
    public async Task A_later_rotation_never_extends_an_earlier_overlap()
    {
        var first = await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));
        await WithRegistry(r => r.RotateKeysAsync("wiki", TimeSpan.FromMinutes(10), Ct));

        await WithRegistry(r => r.RotateKeysAsync("wiki", TimeSpan.FromDays(1), Ct));

        _database.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(await WithRegistry(r => r.FindByPublicKeyAsync(first.PublicKey, Ct)));
    }

    [Fact]
    public async Task Rotation_of_an_unknown_consumer_is_null_and_a_negative_overlap_is_refused()
    {
        await WithRegistry(r => r.CreateAsync("wiki", ["https://a.example"], Ct));

        Assert.Null(await WithRegistry(r => r.RotateKeysAsync("nope", TimeSpan.Zero, Ct)));
        await Assert.ThrowsAsync<ConsumerValidationException>(() => WithRegistry(r => r.RotateKeysAsync("wiki", TimeSpan.FromSeconds(-1), Ct)));
        Assert.Single((await WithRegistry(r => r.GetAsync("wiki", Ct)))!.Keys);
    }
}
