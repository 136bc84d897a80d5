using Latchkey.Server.Consumers;
using Latchkey.Server.SimpleSso;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Consumers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey.Server.Tests.SimpleSso;

public sealed class ExpiredTokenSweeperTests : IAsyncLifetime
{
    private readonly SqliteTestDatabase _database = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sweep_removes_rows_expired_more_than_a_minute_ago_bound_consumed_or_not()
    {
        await using var scope = _database.Scope();
        await scope.ServiceProvider.GetRequiredService<ConsumerRegistry>().CreateAsync("wiki", ["https://a.example"], Ct);
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var consumer = await db.Consumers.Include(c => c.Keys).SingleAsync(Ct);
        var now = _database.Time.GetUtcNow();

        SimpleSsoToken Token(string name, TimeSpan expiresIn, bool consumed = false) => new()
        {
            Id = Guid.NewGuid(),
            ConsumerId = consumer.Id,
            ConsumerKeyId = consumer.Keys[0].Id,
            RequestTokenHash = name.PadRight(64, '0'),
            AccessTokenHash = consumed ? name.PadRight(64, '1') : null,
            RedirectTo = "https://a.example/",
            CreatedAt = now - TimeSpan.FromMinutes(10),
            ExpiresAt = now + expiresIn,
            ConsumedAt = consumed ? now - TimeSpan.FromMinutes(9) : null,
        };

        db.SimpleSsoTokens.AddRange(
            Token("old", -TimeSpan.FromHours(1)),
            Token("oldused", -TimeSpan.FromMinutes(2), consumed: true),
            Token("grace", -TimeSpan.FromSeconds(59)),
            Token("live", TimeSpan.FromMinutes(4)),
            Token("liveused", TimeSpan.FromMinutes(4), consumed: true));
        await db.SaveChangesAsync(Ct);

        var sweeper = new ExpiredTokenSweeper(
            _database.Services.GetRequiredService<IServiceScopeFactory>(),
            SimpleSsoSettings.Default,
            _database.Time,
            NullLogger<ExpiredTokenSweeper>.Instance);

        Assert.Equal(2, await sweeper.SweepAsync(Ct));

        db.ChangeTracker.Clear();
        var left = await db.SimpleSsoTokens.Select(t => t.RequestTokenHash).ToListAsync(Ct);
        Assert.Equal(["grace", "live", "liveused"], left.Select(h => h.TrimEnd('0')).Order());

        _database.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await sweeper.SweepAsync(Ct));
        Assert.Equal(0, await sweeper.SweepAsync(Ct));
    }
}
