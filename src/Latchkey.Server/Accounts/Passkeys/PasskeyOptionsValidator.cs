using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>Rejects relying-party settings browsers would refuse anyway, at startup and with the key to fix.</summary>
public sealed class PasskeyOptionsValidator : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        var passkeys = options.Passkeys;
        var failures = new List<string>();

        var domain = passkeys.ServerDomain;
        if (domain is not null && !IsHostName(domain))
        {
            failures.Add($"Latchkey:Passkeys:ServerDomain must be a host name such as 'login.example.org', without scheme, port or path (got '{domain}').");
            domain = null;
        }

        for (var i = 0; i < passkeys.Origins.Count; i++)
        {
            var origin = passkeys.Origins[i];
            if (!PasskeyOrigins.TryParse(origin, out var uri))
            {
                failures.Add($"Latchkey:Passkeys:Origins:{i} must be an origin such as 'https://login.example.org' (scheme, host and optional port only; got '{origin}').");
                continue;
            }

            if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
            {
                // Browsers only run WebAuthn in a secure context; plain http is one only on localhost.
                failures.Add($"Latchkey:Passkeys:Origins:{i} must use https unless the host is localhost (got '{origin}').");
            }

            if (domain is not null && !PasskeyOrigins.IsWithinDomain(uri.Host, domain))
            {
                failures.Add($"Latchkey:Passkeys:Origins:{i} ('{origin}') is not on Latchkey:Passkeys:ServerDomain '{domain}' or a subdomain of it; browsers would refuse every ceremony.");
            }
        }

        if (passkeys.Origins.Count > 0 && passkeys.ServerDomain is null)
        {
            failures.Add("Latchkey:Passkeys:Origins needs Latchkey:Passkeys:ServerDomain too: the relying-party id must not change with the request's host.");
        }

        if (passkeys.CeremonyLifetime < TimeSpan.FromSeconds(30) || passkeys.CeremonyLifetime > TimeSpan.FromMinutes(30))
        {
            failures.Add($"Latchkey:Passkeys:CeremonyLifetime must be between 00:00:30 and 00:30:00 (got {passkeys.CeremonyLifetime}).");
        }

        if (passkeys.RegistrationMaxAuthenticationAge < TimeSpan.FromMinutes(1) || passkeys.RegistrationMaxAuthenticationAge > TimeSpan.FromDays(1))
        {
            failures.Add($"Latchkey:Passkeys:RegistrationMaxAuthenticationAge must be between 00:01:00 and 1.00:00:00 (got {passkeys.RegistrationMaxAuthenticationAge}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHostName(string value) =>
        value.Length is > 0 and <= 253
        && Uri.CheckHostName(value) is UriHostNameType.Dns
        && string.Equals(value, value.Trim().ToLowerInvariant(), StringComparison.Ordinal)
        && !value.EndsWith('.');
}
