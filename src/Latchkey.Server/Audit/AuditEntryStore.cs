using System.Data;
using System.Data.Common;
using System.Text;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;

namespace Latchkey.Server.Audit;

/// <summary>
/// The audit writer's own database connection and its three statements (chain lock, head read, insert), in
/// plain ADO.NET. A DbContext per batch (scope, change tracker, command batching, LINQ translation) cost more
/// CPU than the chaining itself on the token endpoint. Values are bound exactly as the EF Core mapping stores
/// them (<see cref="AuditEntryConfiguration"/>, the migrations): on SQLite times as
/// <see cref="DateTimeOffsetToBinaryConverter"/> integers, Guids as uppercase text, the outcome as its enum
/// name; on PostgreSQL timestamptz, uuid and text. A test compares rows written both ways column by column.
/// Used by one writer loop at a time: not thread-safe.
/// </summary>
internal sealed class AuditEntryStore(LatchkeyOptions options) : IAsyncDisposable
{
    private const string Columns =
        "\"Sequence\", \"Time\", \"Event\", \"Outcome\", \"ActorId\", \"ActorName\", \"SubjectId\", \"SubjectName\", \"App\", "
        + "\"IpAddress\", \"UserAgent\", \"Details\", \"PreviousHash\", \"Hash\", \"KeyId\"";

    private const int ColumnCount = 15;

    // The newest entry, or when retention has emptied the table the newest archive checkpoint (its last
    // archived entry): one round trip for both.
    private const string HeadSql =
        "SELECT \"Sequence\", \"Hash\", 0 FROM (SELECT \"Sequence\", \"Hash\" FROM \"AuditEntries\" ORDER BY \"Sequence\" DESC LIMIT 1) AS e "
        + "UNION ALL "
        + "SELECT \"LastSequence\", \"LastHash\", 1 FROM (SELECT \"LastSequence\", \"LastHash\" FROM \"AuditArchiveCheckpoints\" ORDER BY \"LastSequence\" DESC LIMIT 1) AS c";

    private static readonly Func<DateTimeOffset, long> SqliteTime = new DateTimeOffsetToBinaryConverter().ConvertToProviderTyped;

    private readonly string?[] _postgreSqlInserts = new string?[AuditWriter.MaxBatch + 1];
    private DbConnection? _connection;
    private SqliteCommand? _sqliteInsert;

    /// <summary>Begins a transaction holding the chain lock and reads the head under it.</summary>
    public async Task<(DbTransaction Transaction, long Sequence, string Hash)> BeginAsync()
    {
        var connection = await OpenAsync();
        var transaction = await AuditChainLock.BeginAsync(connection, CancellationToken.None);
        try
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = HeadSql;
            (long, string)? entry = null, checkpoint = null;
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var head = (reader.GetInt64(0), reader.GetString(1));
                    if (reader.GetInt32(2) == 0)
                    {
                        entry = head;
                    }
                    else
                    {
                        checkpoint = head;
                    }
                }
            }

            var (sequence, hash) = entry ?? checkpoint ?? (0, AuditChain.Genesis);
            return (transaction, sequence, hash);
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    /// <summary>Inserts chained entries in <paramref name="transaction"/> (from <see cref="BeginAsync"/>).</summary>
    public Task InsertAsync(DbTransaction transaction, IReadOnlyList<AuditEntry> entries) =>
        _connection switch
        {
            SqliteConnection sqlite => InsertAsync(sqlite, (SqliteTransaction)transaction, entries),
            NpgsqlConnection npgsql => InsertAsync(npgsql, (NpgsqlTransaction)transaction, entries),
            _ => throw new InvalidOperationException("The audit connection is not open."),
        };

    /// <summary>Forgets the connection after a failure: the next attempt starts on a fresh one.</summary>
    public async ValueTask ResetAsync()
    {
        if (_sqliteInsert is not null)
        {
            await _sqliteInsert.DisposeAsync();
            _sqliteInsert = null;
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    public ValueTask DisposeAsync() => ResetAsync();

    private async Task<DbConnection> OpenAsync()
    {
        if (_connection is { State: ConnectionState.Open } open)
        {
            return open;
        }

        await ResetAsync();
        var connectionString = LatchkeyStorageRegistration.ResolveConnectionString(options);
        var sqlite = options.Storage.ProviderKind != LatchkeyStorageProvider.PostgreSql;
        DbConnection connection = sqlite ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
            if (sqlite)
            {
                await new SqliteConnectionTuning(options.Storage.SqliteRelaxedSync).ApplyAsync(connection);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        _connection = connection;
        return connection;
    }

    /// <summary>SQLite: one prepared single-row INSERT, rebound per row (no network, so rows cost no round trips).</summary>
    private async Task InsertAsync(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<AuditEntry> entries)
    {
        var insert = _sqliteInsert ??= CreateSqliteInsert(connection);
        insert.Transaction = transaction;
        var p = insert.Parameters;
        foreach (var e in entries)
        {
            p[0].Value = e.Sequence;
            p[1].Value = SqliteTime(e.Time);
            p[2].Value = e.Event;
            p[3].Value = e.Outcome.ToString();
            p[4].Value = SqliteGuid(e.ActorId);
            p[5].Value = Nullable(e.ActorName);
            p[6].Value = SqliteGuid(e.SubjectId);
            p[7].Value = Nullable(e.SubjectName);
            p[8].Value = Nullable(e.App);
            p[9].Value = Nullable(e.IpAddress);
            p[10].Value = Nullable(e.UserAgent);
            p[11].Value = Nullable(e.Details);
            p[12].Value = e.PreviousHash;
            p[13].Value = e.Hash;
            p[14].Value = e.KeyId;
            await insert.ExecuteNonQueryAsync();
        }
    }

    private static SqliteCommand CreateSqliteInsert(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        var values = new StringBuilder();
        for (var i = 0; i < ColumnCount; i++)
        {
            values.Append(i == 0 ? "$p" : ", $p").Append(i);
            command.Parameters.Add(new SqliteParameter("$p" + i, null));
        }

        command.CommandText = $"INSERT INTO \"AuditEntries\" ({Columns}) VALUES ({values})";
        return command;
    }

    /// <summary>PostgreSQL: one multi-row INSERT per batch (one round trip), positional parameters.</summary>
    private async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<AuditEntry> entries)
    {
        await using var insert = new NpgsqlCommand(PostgreSqlInsert(entries.Count), connection, transaction);
        var p = insert.Parameters;
        foreach (var e in entries)
        {
            p.Add(new NpgsqlParameter<long> { TypedValue = e.Sequence });
            p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = e.Time });
            p.Add(new NpgsqlParameter { Value = e.Event });
            p.Add(new NpgsqlParameter { Value = e.Outcome.ToString() });
            p.Add(new NpgsqlParameter { Value = e.ActorId is { } actor ? actor : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            p.Add(new NpgsqlParameter { Value = Nullable(e.ActorName), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = e.SubjectId is { } subject ? subject : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            p.Add(new NpgsqlParameter { Value = Nullable(e.SubjectName), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = Nullable(e.App), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = Nullable(e.IpAddress), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = Nullable(e.UserAgent), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = Nullable(e.Details), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = e.PreviousHash });
            p.Add(new NpgsqlParameter { Value = e.Hash });
            p.Add(new NpgsqlParameter { Value = e.KeyId });
        }

        await insert.ExecuteNonQueryAsync();
    }

    private string PostgreSqlInsert(int rows)
    {
        if (_postgreSqlInserts[rows] is { } cached)
        {
            return cached;
        }

        var sql = new StringBuilder($"INSERT INTO \"AuditEntries\" ({Columns}) VALUES ");
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < ColumnCount; column++)
            {
                sql.Append(column == 0 ? "$" : ", $").Append((row * ColumnCount) + column + 1);
            }

            sql.Append(')');
        }

        return _postgreSqlInserts[rows] = sql.ToString();
    }

    private static object Nullable(string? value) => value is null ? DBNull.Value : value;

    // EF Core's SQLite Guid mapping stores uppercase "D" text (Microsoft.Data.Sqlite's text form of a Guid).
    private static object SqliteGuid(Guid? value) => value is { } guid ? guid.ToString("D").ToUpperInvariant() : DBNull.Value;
}
