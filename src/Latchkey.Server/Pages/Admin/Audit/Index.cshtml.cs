using System.Globalization;
using Latchkey.Server.Audit;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Audit;

/// <summary><c>/admin/audit</c>: the audit log, newest first, filtered and paged by sequence (stable while entries arrive).</summary>
public sealed class IndexModel(AuditQuery query) : AdminPageModel
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "event")]
    public string? Event { get; set; }

    [BindProperty(SupportsGet = true, Name = "user")]
    public string? UserFilter { get; set; }

    [BindProperty(SupportsGet = true, Name = "app")]
    public string? App { get; set; }

    [BindProperty(SupportsGet = true, Name = "outcome")]
    public string? Outcome { get; set; }

    /// <summary>UTC, as typed into a datetime-local field (<c>2026-11-29T12:00</c>) or ISO 8601.</summary>
    [BindProperty(SupportsGet = true, Name = "from")]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true, Name = "to")]
    public string? To { get; set; }

    /// <summary>Show entries with a sequence below this (the next page).</summary>
    [BindProperty(SupportsGet = true, Name = "before")]
    public long? Before { get; set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public bool HasMore { get; private set; }

    public List<string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var filter = new AuditFilter
        {
            Event = Trimmed(Event, 64),
            User = Trimmed(UserFilter, 256),
            App = Trimmed(App, 256),
            Outcome = ParseOutcome(),
            Since = ParseTime(From, "From"),
            Until = ParseTime(To, "To"),
        };
        if (Before is <= 0)
        {
            Errors.Add("'before' must be a positive sequence number.");
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        (Entries, HasMore) = await query.PageAsync(filter, Before, PageSize, ct);
        return Page();
    }

    /// <summary>The query string of this page's filters, for links (next page, entry detail and back).</summary>
    public Dictionary<string, string> FilterRoute(long? before = null)
    {
        var route = new Dictionary<string, string>();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                route[key] = value;
            }
        }

        Add("event", Event);
        Add("user", UserFilter);
        Add("app", App);
        Add("outcome", Outcome);
        Add("from", From);
        Add("to", To);
        if (before is { } b)
        {
            route["before"] = b.ToString(CultureInfo.InvariantCulture);
        }

        return route;
    }

    /// <summary>The entry detail link: its sequence plus the list's filters (for the way back).</summary>
    public Dictionary<string, string> EntryRoute(long sequence)
    {
        var route = FilterRoute();
        route["sequence"] = sequence.ToString(CultureInfo.InvariantCulture);
        return route;
    }

    private AuditOutcome? ParseOutcome()
    {
        switch (Outcome?.Trim().ToLowerInvariant())
        {
            case null or "" or "any":
                return null;
            case "success":
                return AuditOutcome.Success;
            case "failure":
                return AuditOutcome.Failure;
            default:
                Errors.Add("Outcome must be success, failure or any.");
                return null;
        }
    }

    private DateTimeOffset? ParseTime(string? text, string label)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        Errors.Add($"{label} must be a date and time such as 2026-11-29T12:00 (UTC).");
        return null;
    }

    private string? Trimmed(string? value, int max)
    {
        if (value is null)
        {
            return null;
        }

        value = value.Trim();
        if (value.Length > max)
        {
            Errors.Add($"A filter can be at most {max} characters.");
            return null;
        }

        return value;
    }
}
