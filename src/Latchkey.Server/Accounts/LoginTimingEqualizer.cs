using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Server.Accounts;

/// <summary>
/// Spends one password-hash verification on failure paths that would otherwise answer without hashing
/// (unknown user, locked out, disabled), so response time does not tell which usernames exist.
/// </summary>
public sealed class LoginTimingEqualizer(IPasswordHasher<LatchkeyUser> hasher)
{
    private static readonly LatchkeyUser Nobody = new() { UserName = "\u0000" };
    private readonly Lazy<string> _decoyHash = new(() => hasher.HashPassword(Nobody, Guid.NewGuid().ToString("N")));

    public void SpendVerification(string password) => hasher.VerifyHashedPassword(Nobody, _decoyHash.Value, password);
}
