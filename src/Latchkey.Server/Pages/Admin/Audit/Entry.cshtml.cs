using System.Text.Json;
using Latchkey.Server.Audit;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Audit;

/// <summary><c>/admin/audit/entry?sequence=N</c>: every field of one entry, including its chain hashes.</summary>
public sealed class EntryModel(AuditQuery query) : AdminPageModel
{
    [BindProperty(SupportsGet = true, Name = "sequence")]
    public long Sequence { get; set; }

    public AuditEntry? Entry { get; private set; }

    public IReadOnlyList<KeyValuePair<string, string>> Details { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Sequence <= 0)
        {
            return BadRequest("sequence must be a positive number.");
        }

        Entry = await query.FindAsync(Sequence, ct);
        if (Entry is null)
        {
            return NotFound();
        }

        if (Entry.Details is { } json)
        {
            try
            {
                Details = JsonSerializer.Deserialize<Dictionary<string, string>>(json)?.ToList() ?? [];
            }
            catch (JsonException)
            {
                // A row edited by hand: show the raw text; verify reports the tampering.
                Details = [new("(raw)", json)];
            }
        }

        return Page();
    }

    /// <summary>Filters of the list page this entry was opened from, for the way back.</summary>
    public Dictionary<string, string> BackRoute() =>
        Request.Query.Where(q => q.Key != "sequence").ToDictionary(q => q.Key, q => q.Value.ToString());
}
