using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting.RateLimiting;

/// <summary>Rejects a zero, negative or absurd budget at startup.</summary>
public sealed class LatchkeyRateLimitOptionsValidator : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        var failures = new List<string>();
        foreach (var (key, rule) in options.RateLimits.Rules())
        {
            if (rule is null)
            {
                failures.Add($"{key} must be set.");
                continue;
            }

            if (rule.PermitLimit <= 0)
            {
                failures.Add($"{key}:PermitLimit must be positive (got {rule.PermitLimit}); limits cannot be switched off, raise them instead.");
            }

            if (rule.Window <= TimeSpan.Zero || rule.Window > TimeSpan.FromDays(1))
            {
                failures.Add($"{key}:Window must be a duration between 00:00:00.001 and 1.00:00:00, e.g. 00:01:00 (got {rule.Window}).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
