using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Audit;

/// <summary>Filters for reading the log (admin page, export). All optional; times are inclusive-exclusive.</summary>
public sealed record AuditFilter
{
    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    /// <summary>Exact event name, or a prefix ending in <c>.</c> / <c>*</c> (e.g. <c>sso.</c>).</summary>
    public string? Event { get; init; }

    /// <summary>Matches the actor's or the subject's name (exact, case-insensitive) or id.</summary>
    public string? User { get; init; }

    public string? App { get; init; }

    public AuditOutcome? Outcome { get; init; }
}

/// <summary>Reads audit entries for the admin page and exports.</summary>
public sealed class AuditQuery(LatchkeyDbContext db)
{
    /// <summary>Newest first, <paramref name="pageSize"/> entries older than <paramref name="before"/> (a sequence), plus whether more exist.</summary>
    public async Task<(IReadOnlyList<AuditEntry> Entries, bool HasMore)> PageAsync(AuditFilter filter, long? before, int pageSize, CancellationToken ct)
    {
        var query = Apply(db.Set<AuditEntry>().AsNoTracking(), filter);
        if (before is { } b)
        {
            query = query.Where(e => e.Sequence < b);
        }

        var rows = await query.OrderByDescending(e => e.Sequence).Take(pageSize + 1).ToListAsync(ct);
        return (rows.Take(pageSize).ToList(), rows.Count > pageSize);
    }

    public Task<AuditEntry?> FindAsync(long sequence, CancellationToken ct) =>
        db.Set<AuditEntry>().AsNoTracking().FirstOrDefaultAsync(e => e.Sequence == sequence, ct);

    /// <summary>Oldest first, streamed in pages so an export of millions of rows stays small in memory.</summary>
    public async IAsyncEnumerable<AuditEntry> StreamAsync(AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        long after = long.MinValue;
        while (true)
        {
            var page = await Apply(db.Set<AuditEntry>().AsNoTracking(), filter)
                .Where(e => e.Sequence > after)
                .OrderBy(e => e.Sequence)
                .Take(1000)
                .ToListAsync(ct);
            foreach (var entry in page)
            {
                yield return entry;
            }

            if (page.Count < 1000)
            {
                yield break;
            }

            after = page[^1].Sequence;
            db.ChangeTracker.Clear();
        }
    }

    private static IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> query, AuditFilter filter)
    {
        if (filter.Since is { } since)
        {
            var from = since.ToUniversalTime();
            query = query.Where(e => e.Time >= from);
        }

        if (filter.Until is { } until)
        {
            var to = until.ToUniversalTime();
            query = query.Where(e => e.Time < to);
        }

        if (!string.IsNullOrWhiteSpace(filter.Event))
        {
            var name = filter.Event.Trim().ToLowerInvariant();
            if (name.EndsWith('*') || name.EndsWith('.'))
            {
                var prefix = name.TrimEnd('*');
                query = query.Where(e => e.Event.StartsWith(prefix));
            }
            else
            {
                query = query.Where(e => e.Event == name);
            }
        }

        if (!string.IsNullOrWhiteSpace(filter.User))
        {
            var user = filter.User.Trim();
            if (Guid.TryParse(user, out var id))
            {
                query = query.Where(e => e.ActorId == id || e.SubjectId == id);
            }
            else
            {
                var lowered = user.ToLowerInvariant();
                query = query.Where(e => (e.ActorName != null && e.ActorName.ToLower() == lowered) || (e.SubjectName != null && e.SubjectName.ToLower() == lowered));
            }
        }

        if (!string.IsNullOrWhiteSpace(filter.App))
        {
            var app = filter.App.Trim();
            query = query.Where(e => e.App == app);
        }

        if (filter.Outcome is { } outcome)
        {
            query = query.Where(e => e.Outcome == outcome);
        }

        return query;
    }
}
