using Microsoft.AspNetCore.DataProtection;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>Encrypts TOTP secrets at rest, with their own Data Protection purpose so no other feature's ciphertext can stand in.</summary>
public sealed class TotpSecretProtector(IDataProtectionProvider provider)
{
    public const string Purpose = "Latchkey.Mfa.TotpSecret.v1";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Protect(byte[] secret) => _protector.Protect(Convert.ToBase64String(secret));

    public byte[] Unprotect(string protectedSecret) => Convert.FromBase64String(_protector.Unprotect(protectedSecret));
}
