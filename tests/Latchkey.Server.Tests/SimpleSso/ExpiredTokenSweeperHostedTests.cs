using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary>The sweeper as the running app hosts it: driven by the app's clock, not by a test calling it.</summary>
public sealed class ExpiredTokenSweeperHostedTests
{
    [Fact]
    public async Task The_running_app_sweeps_expired_tokens_as_its_clock_advances()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true);
        var created = await factory.CreateConsumerAsync("swept", SimpleSsoServerFixture.Origin);
        var keys = new SsoKeys(created.PublicKey, created.PrivateKey);
        var wire = new SimpleSsoWire(factory.CreateClient());
        var time = factory.Time!;
        var expiring = await wire.GetRequestTokenAsync(keys, SimpleSsoServerFixture.RedirectTo, time.GetUtcNow());

        time.Advance(TimeSpan.FromMinutes(6));
        var fresh = await wire.GetRequestTokenAsync(keys, SimpleSsoServerFixture.RedirectTo, time.GetUtcNow());

        // Each advance is one timer tick; the sweep itself runs on the app's own thread, so poll for its effect.
        var hashes = await RequestTokenHashesAsync(factory);
        for (var tick = 0; tick < 100 && hashes.Contains(SimpleSsoServerFixture.Sha256Hex(expiring)); tick++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50, TestContext.Current.CancellationToken);
            hashes = await RequestTokenHashesAsync(factory);
        }

        Assert.DoesNotContain(SimpleSsoServerFixture.Sha256Hex(expiring), hashes);
        Assert.Contains(SimpleSsoServerFixture.Sha256Hex(fresh), hashes);
    }

    private static Task<List<string>> RequestTokenHashesAsync(LatchkeyServerFactory factory) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().SimpleSsoTokens
            .Select(t => t.RequestTokenHash).ToListAsync());
}
