using Microsoft.Extensions.Options;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>The key-rotation settings in <c>Latchkey:Oidc</c> (the same section as the token lifetimes).</summary>
public sealed class SigningKeyOptions
{
    /// <summary>How long a new key is published in JWKS before it signs, so relying parties that cache JWKS already know it.</summary>
    public TimeSpan KeyPublishLead { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Automatic rotation: a key older than this (since it started signing) is replaced. Zero turns automatic rotation off.</summary>
    public TimeSpan KeyRotationInterval { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often each node re-reads the key table, so a rotation made on another node (or by the CLI) is picked up.</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class SigningKeyOptionsValidator : IValidateOptions<SigningKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, SigningKeyOptions options)
    {
        var failures = new List<string>();
        if (options.KeyPublishLead < TimeSpan.Zero)
        {
            failures.Add("Latchkey:Oidc:KeyPublishLead must not be negative.");
        }

        if (options.KeyRotationInterval < TimeSpan.Zero)
        {
            failures.Add("Latchkey:Oidc:KeyRotationInterval must not be negative (0 turns automatic rotation off).");
        }
        else if (options.KeyRotationInterval != TimeSpan.Zero && options.KeyRotationInterval <= options.KeyPublishLead)
        {
            failures.Add("Latchkey:Oidc:KeyRotationInterval must be longer than KeyPublishLead.");
        }

        if (options.KeyRefreshInterval <= TimeSpan.Zero || options.KeyRefreshInterval > TimeSpan.FromHours(1))
        {
            failures.Add("Latchkey:Oidc:KeyRefreshInterval must be between 0 (exclusive) and 1 hour.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
