using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>Rejects configuration that would only fail later, with messages that name the key to fix.</summary>
public sealed class LatchkeyOptionsValidator : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Latchkey:DataDirectory must not be empty.");
        }

        if (!options.Storage.TryGetProvider(out var provider))
        {
            failures.Add($"Latchkey:Storage:Provider must be 'Sqlite' or 'PostgreSql' (got '{options.Storage.Provider}').");
        }
        else if (provider == LatchkeyStorageProvider.PostgreSql && string.IsNullOrWhiteSpace(options.Storage.ConnectionString))
        {
            failures.Add("Latchkey:Storage:ConnectionString is required when Latchkey:Storage:Provider is 'PostgreSql' "
                + "(e.g. 'Host=db;Database=latchkey;Username=latchkey;Password=...').");
        }

        var basePath = options.SimpleSso.BasePath;
        if (string.IsNullOrEmpty(basePath) || !basePath.StartsWith('/') || !basePath.EndsWith('/')
            || basePath.Contains("//", StringComparison.Ordinal) || basePath.Contains('?') || basePath.Contains('#'))
        {
            failures.Add($"Latchkey:SimpleSso:BasePath must start and end with '/', e.g. '/sso/' (got '{basePath}').");
        }

        RequirePositive(failures, "Latchkey:SimpleSso:TokenLifetime", options.SimpleSso.TokenLifetime);
        RequirePositive(failures, "Latchkey:SimpleSso:SweepInterval", options.SimpleSso.SweepInterval);
        if (options.SimpleSso.ClockSkew < TimeSpan.Zero)
        {
            failures.Add($"Latchkey:SimpleSso:ClockSkew must not be negative (got {options.SimpleSso.ClockSkew}).");
        }

        if (options.SimpleSso.MaxBodyBytes <= 0)
        {
            failures.Add($"Latchkey:SimpleSso:MaxBodyBytes must be positive (got {options.SimpleSso.MaxBodyBytes}).");
        }

        if (options.Accounts.PasswordHashIterations <= 0)
        {
            failures.Add($"Latchkey:Accounts:PasswordHashIterations must be positive (got {options.Accounts.PasswordHashIterations}); "
                + $"the recommended value is {LatchkeyAccountsOptions.RecommendedPasswordHashIterations}.");
        }

        if (string.IsNullOrWhiteSpace(options.Bootstrap.AdminUsername))
        {
            failures.Add("Latchkey:Bootstrap:AdminUsername must not be empty.");
        }

        ValidateForwardedHeaders(failures, options.ForwardedHeaders);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateForwardedHeaders(List<string> failures, LatchkeyForwardedHeadersOptions forwarded)
    {
        for (var i = 0; i < forwarded.KnownProxies.Count; i++)
        {
            if (!System.Net.IPAddress.TryParse(forwarded.KnownProxies[i]?.Trim(), out _))
            {
                failures.Add($"Latchkey:ForwardedHeaders:KnownProxies:{i} must be an IP address such as 10.0.0.5 (got '{forwarded.KnownProxies[i]}').");
            }
        }

        for (var i = 0; i < forwarded.KnownNetworks.Count; i++)
        {
            if (!System.Net.IPNetwork.TryParse(forwarded.KnownNetworks[i]?.Trim(), out _))
            {
                failures.Add($"Latchkey:ForwardedHeaders:KnownNetworks:{i} must be a CIDR range such as 10.0.0.0/8 (got '{forwarded.KnownNetworks[i]}').");
            }
        }

        if (forwarded.ForwardLimit <= 0)
        {
            failures.Add($"Latchkey:ForwardedHeaders:ForwardLimit must be positive (got {forwarded.ForwardLimit}).");
        }

        if (forwarded.Enabled && forwarded.KnownProxies.Count == 0 && forwarded.KnownNetworks.Count == 0)
        {
            // Trusting every peer would let any client claim https or another host name.
            failures.Add("Latchkey:ForwardedHeaders:Enabled requires Latchkey:ForwardedHeaders:KnownProxies or KnownNetworks; "
                + "trusting every peer would let any client spoof the scheme, host and address.");
        }
    }

    private static void RequirePositive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{key} must be a positive duration such as 00:05:00 (got {value}).");
        }
    }
}
