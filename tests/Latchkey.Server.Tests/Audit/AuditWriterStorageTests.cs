using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Audit;

/// <summary>
/// The writer inserts with plain ADO.NET, not EF Core: its rows must be exactly what EF Core would have stored,
/// and the hash must be over exactly the documented canonical bytes (existing chains must keep verifying).
/// </summary>
public sealed class AuditWriterStorageTests
{
    public static TheoryData<LatchkeyTestStorage> Storages => [LatchkeyTestStorage.Sqlite, LatchkeyTestStorage.PostgreSql];

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task A_row_written_by_the_writer_is_column_for_column_what_EF_Core_stores(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        var actor = Guid.NewGuid();
        var subject = Guid.NewGuid();
        await factory.WithScopeAsync(services => services.GetRequiredService<IAuditLog>().AppendAsync(new AuditRecord("token.issued", AuditOutcome.Failure)
        {
            ActorId = actor,
            ActorName = "zoë",
            SubjectId = subject,
            SubjectName = "svc",
            App = "oidc:svc",
            Details = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "api ☃" },
        }));

        var written = (await AuditChainTests.EntriesAsync(factory))[^1];
        Assert.Equal(actor, written.ActorId);
        Assert.Equal(subject, written.SubjectId);
        Assert.Equal(AuditOutcome.Failure, written.Outcome);
        Assert.Equal(TimeSpan.Zero, written.Time.Offset);

        // The same values through EF Core's change tracker, as the writer used to insert them.
        const long efSequence = 1_000_000;
        await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            db.Add(new AuditEntry
            {
                Sequence = efSequence,
                Time = written.Time,
                Event = written.Event,
                Outcome = written.Outcome,
                ActorId = written.ActorId,
                ActorName = written.ActorName,
                SubjectId = written.SubjectId,
                SubjectName = written.SubjectName,
                App = written.App,
                IpAddress = written.IpAddress,
                UserAgent = written.UserAgent,
                Details = written.Details,
                PreviousHash = written.PreviousHash,
                Hash = written.Hash,
                KeyId = written.KeyId,
            });
            await db.SaveChangesAsync();
        });

        var raw = await factory.WithScopeAsync(async services =>
        {
            var connection = services.GetRequiredService<LatchkeyDbContext>().Database.GetDbConnection();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"AuditEntries\" WHERE \"Sequence\" IN ({written.Sequence}, {efSequence}) ORDER BY \"Sequence\"";
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<Dictionary<string, (Type?, object)>>();
            while (await reader.ReadAsync())
            {
                rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(
                    reader.GetName,
                    i => reader.IsDBNull(i) ? (null, DBNull.Value) : (reader.GetValue(i).GetType(), reader.GetValue(i))));
            }

            return rows;
        });

        Assert.Equal(2, raw.Count);
        Assert.Equal(15, raw[0].Count);
        foreach (var (column, value) in raw[1].Where(c => c.Key != "Sequence"))
        {
            Assert.True(value.Equals(raw[0][column]), $"{column}: EF Core stored {value}, the writer {raw[0][column]}");
        }

        // Lookups through EF Core (parameters bound by EF) find the writer's row, e.g. Guids in the same text case.
        var found = await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>()
            .CountAsync(e => e.ActorId == actor && e.SubjectId == subject && e.Time == written.Time && e.Outcome == AuditOutcome.Failure));
        Assert.Equal(2, found);
    }

    [Theory]
    [MemberData(nameof(Storages))]
    public async Task After_retention_archived_every_entry_the_next_one_links_to_the_checkpoint(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true);
        await AuditChainTests.AppendAsync(factory, 3);
        factory.Time!.Advance(TimeSpan.FromDays(2));

        // Archives everything, leaving the table empty; the audit.archived entry that follows must read the head
        // from the checkpoint.
        var archived = await factory.WithScopeAsync(services => services.GetRequiredService<AuditArchiver>()
            .ArchiveOlderThanAsync(factory.Time.GetUtcNow(), CancellationToken.None));

        var checkpoint = await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>()
            .Set<AuditArchiveCheckpoint>().AsNoTracking().SingleAsync());
        var remaining = await AuditChainTests.EntriesAsync(factory);
        var only = Assert.Single(remaining);
        Assert.Equal(AuditEvents.AuditArchived, only.Event);
        Assert.Equal(archived!.LastSequence + 1, only.Sequence);
        Assert.Equal(checkpoint.LastHash, only.PreviousHash);
        var result = await AuditChainTests.VerifyAsync(factory);
        Assert.True(result.IsValid, result.Break?.Reason);
    }

    [Fact]
    public void The_hash_is_over_the_documented_canonical_bytes()
    {
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var entries = new[]
        {
            new AuditEntry
            {
                Sequence = 42,
                Time = new DateTimeOffset(2026, 11, 29, 15, 4, 5, 678, TimeSpan.Zero),
                Event = "token.issued",
                Outcome = AuditOutcome.Success,
                ActorId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
                ActorName = "zoë ☃ 𝄞",
                SubjectName = "svc",
                App = "oidc:svc",
                IpAddress = "127.0.0.1",
                Details = """{"grant_type":"client_credentials"}""",
                PreviousHash = AuditChain.Genesis,
                Hash = string.Empty,
                KeyId = "0123456789abcdef",
            },
            new AuditEntry
            {
                Sequence = long.MaxValue,
                Time = DateTimeOffset.UnixEpoch,
                Event = "e",
                Outcome = AuditOutcome.Failure,
                UserAgent = new string('ü', 5000),
                PreviousHash = new string('a', 64),
                Hash = string.Empty,
                KeyId = string.Empty,
            },
        };

        foreach (var entry in entries)
        {
            Assert.Equal(ReferenceHash(entry, key), AuditChain.ComputeHash(entry, key));
        }

        // Pinned (computed independently, in Python): a change to the canonical form would orphan every stored chain.
        Assert.Equal("9a7458f279371f032a88e005f26e79ad837f27209da2ba70bc737dfb952f04f3", AuditChain.ComputeHash(entries[0], key));
    }

    /// <summary>The canonical form exactly as docs/audit.md states it, written the plain way.</summary>
    private static string ReferenceHash(AuditEntry e, byte[] key)
    {
        using var buffer = new MemoryStream();
        foreach (var field in new[]
        {
            "1", e.Sequence.ToString(CultureInfo.InvariantCulture), e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            e.Event, e.Outcome == AuditOutcome.Success ? "success" : "failure", e.ActorId?.ToString("D"), e.ActorName,
            e.SubjectId?.ToString("D"), e.SubjectName, e.App, e.IpAddress, e.UserAgent, e.Details, e.PreviousHash, e.KeyId,
        })
        {
            var length = new byte[4];
            var bytes = field is null ? [] : Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteUInt32BigEndian(length, field is null ? uint.MaxValue : (uint)bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }

        return Convert.ToHexStringLower(HMACSHA256.HashData(key, buffer.ToArray()));
    }
}
