using Microsoft.Extensions.Options;

namespace Latchkey.Server.Audit;

/// <summary><c>Latchkey:Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Latchkey:Audit";

    /// <summary>
    /// Entries older than this are moved into compressed JSONL files under <c>&lt;data&gt;/audit-archive/</c>
    /// (never silently deleted). Off (null) by default: the database keeps everything.
    /// </summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>How often retention runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
}

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var failures = new List<string>();
        if (options.Retention is { } retention && retention < TimeSpan.FromDays(1))
        {
            failures.Add("Latchkey:Audit:Retention must be at least 1 day (e.g. 365.00:00:00), or unset to keep everything.");
        }

        if (options.RetentionInterval < TimeSpan.FromMinutes(1))
        {
            failures.Add("Latchkey:Audit:RetentionInterval must be at least 1 minute.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
