using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Audit;

/// <summary>The hash chain on both providers: appends, verification, and tampering done directly in the database.</summary>
public sealed class AuditChainTests
{
    public static TheoryData<LatchkeyTestStorage> Storages => [LatchkeyTestStorage.Sqlite, LatchkeyTestStorage.PostgreSql];

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Appended_entries_form_a_valid_chain_with_every_field_stored(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        var subject = Guid.NewGuid();
        await AppendAsync(factory, 3, new AuditRecord("consumer.created", AuditOutcome.Success)
        {
            ActorName = "alice",
            SubjectId = subject,
            SubjectName = "wiki",
            App = AuditRecord.SimpleSsoApp("wiki"),
            Details = new Dictionary<string, string> { ["z"] = "last", ["a"] = "first", ["password"] = "hunter2" },
        });

        // The server audits its own start-up work (signing keys created) before the test's entries.
        var all = await EntriesAsync(factory);
        Assert.Equal(AuditChain.Genesis, all[0].PreviousHash);
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Sequence));
        var entries = all.Where(e => e.Event == "consumer.created").ToList();
        Assert.Equal(3, entries.Count);
        Assert.Equal(entries[0].Hash, entries[1].PreviousHash);
        var entry = entries[0];
        Assert.Equal("consumer.created", entry.Event);
        Assert.Equal("alice", entry.ActorName);
        Assert.Equal(subject, entry.SubjectId);
        Assert.Equal("simple-sso:wiki", entry.App);
        Assert.Equal("""{"a":"first","password":"[redacted]","z":"last"}""", entry.Details);

        var result = await VerifyAsync(factory);
        Assert.True(result.IsValid, result.Break?.Reason);
        Assert.Equal(all.Count, result.EntriesChecked);
        Assert.Equal(entries[2].Sequence, result.HeadSequence);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Verify_names_an_entry_altered_in_the_database(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await AppendAsync(factory, 5);

        await SqlAsync(factory, "UPDATE \"AuditEntries\" SET \"Outcome\" = 'Failure' WHERE \"Sequence\" = 3");

        var result = await VerifyAsync(factory);
        Assert.False(result.IsValid);
        Assert.Equal(3, result.Break!.Sequence);
        Assert.Equal(AuditBreakKind.Altered, result.Break.Kind);
        Assert.Equal(2, result.EntriesChecked);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Verify_detects_an_entry_altered_with_a_recomputed_unkeyed_hash(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await AppendAsync(factory, 4);

        // An attacker with only database access recomputes "the hash" without the key: plain SHA-256.
        await SqlAsync(factory, "UPDATE \"AuditEntries\" SET \"ActorName\" = 'mallory', \"Hash\" = '" + new string('a', 64) + "' WHERE \"Sequence\" = 4");

        var result = await VerifyAsync(factory);
        Assert.Equal(4, result.Break!.Sequence);
        Assert.Equal(AuditBreakKind.Altered, result.Break.Kind);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Verify_names_the_first_missing_sequence_after_a_delete(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await AppendAsync(factory, 6);

        await SqlAsync(factory, "DELETE FROM \"AuditEntries\" WHERE \"Sequence\" IN (3, 4)");

        var result = await VerifyAsync(factory);
        Assert.Equal(3, result.Break!.Sequence);
        Assert.Equal(AuditBreakKind.Missing, result.Break.Kind);
        Assert.Contains("3..4", result.Break.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Verify_names_an_entry_inserted_in_the_middle(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await AppendAsync(factory, 5);

        // Make room at 3 by renumbering 3..5 to 4..6 (two steps: the key is unique), then insert a forged 3
        // that claims to follow entry 2.
        await SqlAsync(factory, "UPDATE \"AuditEntries\" SET \"Sequence\" = \"Sequence\" + 1000 WHERE \"Sequence\" >= 3");
        await SqlAsync(factory, "UPDATE \"AuditEntries\" SET \"Sequence\" = \"Sequence\" - 999 WHERE \"Sequence\" >= 1000");
        var two = (await EntriesAsync(factory)).Single(e => e.Sequence == 2);
        await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            db.Add(new AuditEntry
            {
                Sequence = 3,
                Time = two.Time,
                Event = "admin.user.created",
                Outcome = AuditOutcome.Success,
                ActorName = "mallory",
                PreviousHash = two.Hash,
                Hash = new string('b', 64),
                KeyId = two.KeyId,
            });
            await db.SaveChangesAsync();
        });

        var result = await VerifyAsync(factory);
        Assert.Equal(3, result.Break!.Sequence);
        Assert.Equal(AuditBreakKind.Inserted, result.Break.Kind);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Verify_detects_a_rewritten_link(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await AppendAsync(factory, 4);

        // The link is part of the hashed content, so pointing entry 3 elsewhere breaks it at 3.
        await SqlAsync(factory, "UPDATE \"AuditEntries\" SET \"PreviousHash\" = '" + AuditChain.Genesis + "' WHERE \"Sequence\" = 3");

        var result = await VerifyAsync(factory);
        Assert.Equal(3, result.Break!.Sequence);
        Assert.False(result.IsValid);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Parallel_appends_keep_the_chain_valid_and_sequences_contiguous(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        const int count = 200;
        _ = factory.Services;
        var before = (await EntriesAsync(factory)).Count;

        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            await using var scope = factory.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IAuditLog>().AppendAsync(
                new AuditRecord("token.issued", AuditOutcome.Success) { SubjectName = "n" + i }, ct);
        });

        var entries = await EntriesAsync(factory);
        Assert.Equal(Enumerable.Range(1, before + count).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(count, entries.Where(e => e.Event == "token.issued").Select(e => e.SubjectName).Distinct().Count());
        var result = await VerifyAsync(factory);
        Assert.True(result.IsValid, result.Break?.Reason);
        Assert.Equal(before + count, result.EntriesChecked);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task Two_nodes_appending_to_one_database_share_one_chain(LatchkeyTestStorage storage)
    {
        await using var first = LatchkeyServerFactory.For(storage);
        _ = first.Services;
        await using var second = new LatchkeyServerFactory(sharesStorageWith: first);
        _ = second.Services;
        var before = (await EntriesAsync(first)).Count;

        var writers = new[] { first, second }.SelectMany(node => Enumerable.Range(0, 60).Select(i => (node, i)));
        await Parallel.ForEachAsync(writers, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (w, ct) =>
        {
            await using var scope = w.node.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IAuditLog>().AppendAsync(new AuditRecord("token.issued", AuditOutcome.Success), ct);
        });

        var entries = await EntriesAsync(first);
        Assert.Equal(Enumerable.Range(1, before + 120).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(120, entries.Count(e => e.Event == "token.issued"));
        var result = await VerifyAsync(second);
        Assert.True(result.IsValid, result.Break?.Reason);
    }

    [Fact]
    public async Task Verify_reports_an_entry_hashed_under_a_master_key_that_is_not_configured()
    {
        await using var factory = LatchkeyServerFactory.For(LatchkeyTestStorage.Sqlite);
        await AppendAsync(factory, 2);

        await SqlAsync(factory, "UPDATE \"AuditEntries\" SET \"KeyId\" = '0123456789abcdef' WHERE \"Sequence\" = 2");

        var result = await VerifyAsync(factory);
        Assert.Equal(2, result.Break!.Sequence);
        Assert.Equal(AuditBreakKind.UnknownKey, result.Break.Kind);
        Assert.Contains("PreviousMasterKeys", result.Break.Reason, StringComparison.Ordinal);
    }

    internal static async Task AppendAsync(LatchkeyServerFactory factory, int count, AuditRecord? record = null)
    {
        for (var i = 0; i < count; i++)
        {
            await factory.WithScopeAsync(services => services.GetRequiredService<IAuditLog>().AppendAsync(
                record ?? new AuditRecord("test.event", AuditOutcome.Success) { SubjectName = "entry " + i }));
        }
    }

    internal static Task<List<AuditEntry>> EntriesAsync(LatchkeyServerFactory factory) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Sequence).ToListAsync());

    internal static Task<AuditVerification> VerifyAsync(LatchkeyServerFactory factory) =>
        factory.WithScopeAsync(services => services.GetRequiredService<AuditVerifier>().VerifyAsync(CancellationToken.None));

    private static Task SqlAsync(LatchkeyServerFactory factory, string sql) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Database.ExecuteSqlRawAsync(sql));
}
