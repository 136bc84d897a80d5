using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>The global MFA policy.</summary>
public enum MfaGlobalPolicy
{
    /// <summary>Users choose; apps and per-user settings may still require MFA.</summary>
    Optional,

    /// <summary>Every user must use a second factor; users without one enrol at their next sign-in.</summary>
    Required,
}

/// <summary><c>Latchkey:Mfa</c>.</summary>
public sealed class LatchkeyMfaOptions
{
    /// <summary><c>Optional</c> (default) or <c>Required</c>. A string so a typo gets a clear startup error, not a binder exception.</summary>
    public string Policy { get; set; } = nameof(MfaGlobalPolicy.Optional);

    /// <summary>The issuer authenticator apps show next to the account name.</summary>
    public string TotpIssuer { get; set; } = "Latchkey";

    /// <summary>How long the password step stays valid while the user enters the second factor.</summary>
    public TimeSpan PendingSignInLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an emailed one-time code is valid.</summary>
    public TimeSpan EmailCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Wrong guesses allowed per emailed code before it is void.</summary>
    public int EmailCodeAttempts { get; set; } = 5;

    public bool TryGetPolicy(out MfaGlobalPolicy policy)
    {
        var name = Enum.GetNames<MfaGlobalPolicy>().FirstOrDefault(n => string.Equals(n, Policy?.Trim(), StringComparison.OrdinalIgnoreCase));
        policy = name is null ? default : Enum.Parse<MfaGlobalPolicy>(name);
        return name is not null;
    }

    /// <summary>The parsed policy; only after validation.</summary>
    public MfaGlobalPolicy PolicyKind => TryGetPolicy(out var policy) ? policy : throw new InvalidOperationException($"Unknown MFA policy '{Policy}'.");
}

/// <summary>Validates <c>Latchkey:Mfa</c> at startup.</summary>
internal sealed class LatchkeyMfaOptionsValidator : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        var mfa = options.Mfa;
        var failures = new List<string>();
        if (!mfa.TryGetPolicy(out _))
        {
            failures.Add($"Latchkey:Mfa:Policy must be 'Optional' or 'Required' (got '{mfa.Policy}').");
        }

        if (string.IsNullOrWhiteSpace(mfa.TotpIssuer) || mfa.TotpIssuer.Contains(':', StringComparison.Ordinal))
        {
            failures.Add($"Latchkey:Mfa:TotpIssuer must be a non-empty name without ':' (got '{mfa.TotpIssuer}').");
        }

        if (mfa.PendingSignInLifetime <= TimeSpan.Zero || mfa.PendingSignInLifetime > TimeSpan.FromHours(1))
        {
            failures.Add($"Latchkey:Mfa:PendingSignInLifetime must be between 0 and 1 hour (got {mfa.PendingSignInLifetime}).");
        }

        if (mfa.EmailCodeLifetime <= TimeSpan.Zero || mfa.EmailCodeLifetime > TimeSpan.FromHours(1))
        {
            failures.Add($"Latchkey:Mfa:EmailCodeLifetime must be between 0 and 1 hour (got {mfa.EmailCodeLifetime}).");
        }

        if (mfa.EmailCodeAttempts is < 1 or > 20)
        {
            failures.Add($"Latchkey:Mfa:EmailCodeAttempts must be between 1 and 20 (got {mfa.EmailCodeAttempts}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
