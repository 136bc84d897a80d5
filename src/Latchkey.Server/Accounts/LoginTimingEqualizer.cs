using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Spends one password-hash verification on failure paths that would otherwise answer without hashing
/// (unknown user, locked out, disabled), so response time does not tell which usernames exist.
/// </summary>
public sealed class LoginTimingEqualizer(IOptions<PasswordHasherOptions> hasherOptions)
{
    // Its own hasher (Identity's is scoped) with the same iteration count as real verifications.
    private readonly PasswordHasher<LatchkeyUser> _hasher = new(hasherOptions);
    private static readonly LatchkeyUser Nobody = new() { UserName = "\u0000" };
    private string? _decoyHash;

    public void SpendVerification(string password)
    {
        // A benign race: two threads may both hash once; either result is a valid decoy.
        _decoyHash ??= _hasher.HashPassword(Nobody, Guid.NewGuid().ToString("N"));
        _hasher.VerifyHashedPassword(Nobody, _decoyHash, password);
    }
}
