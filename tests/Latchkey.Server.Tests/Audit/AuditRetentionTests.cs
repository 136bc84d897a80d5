using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Latchkey.Server.Tests.Audit;

/// <summary>Latchkey:Audit:Retention on the running server, with a fake clock, on both providers.</summary>
public sealed class AuditRetentionTests
{
    public static TheoryData<LatchkeyTestStorage> Storages => [LatchkeyTestStorage.Sqlite, LatchkeyTestStorage.PostgreSql];

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Retention_archives_entries_older_than_the_setting_and_the_chain_still_verifies(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true).WithSetting("Latchkey:Audit:Retention", "30.00:00:00");
        await AuditChainTests.AppendAsync(factory, 4);
        var old = await AuditChainTests.EntriesAsync(factory);
        factory.Time!.Advance(TimeSpan.FromDays(31));
        await AuditChainTests.AppendAsync(factory, 2);

        var service = factory.Services.GetServices<IHostedService>().OfType<AuditRetentionService>().Single();
        await service.RunOnceAsync(TimeSpan.FromDays(30), CancellationToken.None);

        var remaining = await AuditChainTests.EntriesAsync(factory);
        Assert.DoesNotContain(remaining, e => e.Sequence <= old[^1].Sequence);
        Assert.Contains(remaining, e => e.Event == AuditEvents.AuditArchived);
        var checkpoint = await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<AuditArchiveCheckpoint>().AsNoTracking().SingleAsync());
        Assert.Equal(old[^1].Sequence, checkpoint.LastSequence);
        Assert.True(File.Exists(Path.Combine(factory.DataDirectory, AuditArchiver.FolderName, checkpoint.FileName)));

        var verification = await AuditChainTests.VerifyAsync(factory);
        Assert.True(verification.IsValid, verification.Break?.Reason);
        Assert.Equal(old[^1].Sequence + 1, verification.FirstSequence);
        var archives = await factory.WithScopeAsync(services => services.GetRequiredService<AuditArchiver>().VerifyArchivesAsync(CancellationToken.None));
        Assert.Null(archives.Break);
        Assert.Equal(old.Count, archives.Entries);

        // A forged checkpoint (moved forward to hide deleted entries) is caught.
        await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Database
            .ExecuteSqlRawAsync("UPDATE \"AuditArchiveCheckpoints\" SET \"LastSequence\" = \"LastSequence\" + 1"));
        var forged = await AuditChainTests.VerifyAsync(factory);
        Assert.Equal(AuditBreakKind.Archive, forged.Break!.Kind);
    }

    [Fact]
    public async Task Nothing_is_archived_while_retention_is_off_or_entries_are_young()
    {
        await using var factory = LatchkeyServerFactory.For(LatchkeyTestStorage.Sqlite, useFakeTime: true);
        await AuditChainTests.AppendAsync(factory, 3);
        var before = await AuditChainTests.EntriesAsync(factory);

        var archived = await factory.WithScopeAsync(services => services.GetRequiredService<AuditArchiver>().ArchiveOlderThanAsync(factory.Time!.GetUtcNow() - TimeSpan.FromDays(1), CancellationToken.None));

        Assert.Null(archived);
        Assert.Equal(before.Count, (await AuditChainTests.EntriesAsync(factory)).Count);
    }

    [Theory]
    [InlineData("Latchkey:Audit:Retention", "01:00:00")]
    [InlineData("Latchkey:Audit:RetentionInterval", "00:00:10")]
    public void Too_short_retention_settings_are_refused(string key, string value)
    {
        var options = new AuditOptions();
        if (key.EndsWith("Retention", StringComparison.Ordinal))
        {
            options.Retention = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            options.RetentionInterval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        }

        var result = new AuditOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }
}
