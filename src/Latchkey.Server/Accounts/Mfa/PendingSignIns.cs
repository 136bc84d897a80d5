using System.Security.Cryptography;
using System.Text.Json;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>A sign-in whose password step succeeded and whose second factor is still owed.</summary>
public sealed record PendingSignIn(LatchkeyUser User, DateTimeOffset PasswordVerifiedAt, bool IsPersistent);

/// <summary>
/// Carries a half-done sign-in from the password page to the second-factor page in a short-lived, Data-Protected, HttpOnly
/// cookie. It is bound to the user (id and security stamp: a password change voids it) and to the time of the password step,
/// and is not a session: nothing but the second-factor page reads it.
/// </summary>
public sealed class PendingSignIns(IDataProtectionProvider dataProtection, LatchkeyDbContext db, IOptions<LatchkeyOptions> options, TimeProvider time)
{
    public const string CookieName = "latchkey.mfa";
    public const string Purpose = "Latchkey.Mfa.PendingSignIn.v1";
    private const string CookiePath = "/account";

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    private TimeSpan Lifetime => options.Value.Mfa.PendingSignInLifetime;

    public void Issue(HttpContext http, LatchkeyUser user, bool isPersistent)
    {
        var payload = new Payload(user.Id, user.SecurityStamp ?? "", time.GetUtcNow().ToUnixTimeMilliseconds(), isPersistent);
        var value = _protector.Protect(JsonSerializer.Serialize(payload));
        http.Response.Cookies.Append(CookieName, value, new CookieOptions
        {
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = CookiePath,
            MaxAge = Lifetime,
            IsEssential = true,
        });
    }

    /// <summary>The pending sign-in of this browser, or null when there is none, it expired, or it no longer matches the user.</summary>
    public async Task<PendingSignIn?> ReadAsync(HttpContext http, CancellationToken ct)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value) || value.Length > 4096)
        {
            return null;
        }

        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(_protector.Unprotect(value));
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
            return null;
        }

        if (payload is null)
        {
            return null;
        }

        var verifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(payload.T);
        var age = time.GetUtcNow() - verifiedAt;
        if (age < TimeSpan.Zero || age > Lifetime)
        {
            return null;
        }

        var user = await db.Set<LatchkeyUser>().SingleOrDefaultAsync(u => u.Id == payload.U, ct);
        if (user is not { IsActive: true } || !CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(user.SecurityStamp ?? ""), System.Text.Encoding.UTF8.GetBytes(payload.S)))
        {
            return null;
        }

        return new PendingSignIn(user, verifiedAt, payload.P);
    }

    public static void Clear(HttpContext http) =>
        http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = CookiePath, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Strict, HttpOnly = true });

    private sealed record Payload(Guid U, string S, long T, bool P);
}
