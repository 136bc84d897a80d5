using System.Security.Cryptography;
using System.Text;
using OtpNet;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>
/// RFC 6238 with the parameters every authenticator app supports (SHA-1, 6 digits, 30 s steps). Pure functions of the secret,
/// the code and the time, so the acceptance window is unit-testable; replay is decided by the caller with the stored last step.
/// </summary>
public static class TotpCodes
{
    public const int StepSeconds = 30;

    public const int Digits = 6;

    /// <summary>One step either side: clocks on phones drift, and people type slowly.</summary>
    public const int AllowedDrift = 1;

    /// <summary>160 bits, the HMAC-SHA-1 block-friendly size RFC 4226 recommends.</summary>
    public const int SecretBytes = 20;

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>The time step a moment falls in.</summary>
    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The code for a time step (what the authenticator shows during it).</summary>
    public static string CodeFor(byte[] secret, long step) =>
        new Totp(secret, StepSeconds, OtpHashMode.Sha1, Digits).ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(step * StepSeconds).UtcDateTime);

    /// <summary>The step a code belongs to within ±<see cref="AllowedDrift"/> of now, or null. Every candidate is compared in constant time.</summary>
    public static long? MatchStep(byte[] secret, string? code, DateTimeOffset now)
    {
        var normalised = Normalise(code);
        if (normalised is null)
        {
            return null;
        }

        var given = Encoding.ASCII.GetBytes(normalised);
        var current = StepAt(now);
        long? matched = null;
        for (var step = current - AllowedDrift; step <= current + AllowedDrift; step++)
        {
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(CodeFor(secret, step))) && matched is null)
            {
                matched = step;
            }
        }

        return matched;
    }

    /// <summary>Six digits, spaces or dashes the user typed removed; null when the input cannot be a code.</summary>
    public static string? Normalise(string? code)
    {
        if (code is null || code.Length > 32)
        {
            return null;
        }

        var digits = new string([.. code.Where(c => c is not (' ' or '-'))]);
        return digits.Length == Digits && digits.All(char.IsAsciiDigit) ? digits : null;
    }

    /// <summary>Base32 as authenticator apps expect it, in groups of four for typing.</summary>
    public static string FormatManualKey(byte[] secret)
    {
        var base32 = Base32Encoding.ToString(secret).TrimEnd('=');
        return string.Join(' ', base32.Chunk(4).Select(chunk => new string(chunk)));
    }

    /// <summary>The <c>otpauth://</c> URI authenticator apps scan (Key Uri Format).</summary>
    public static string EnrolmentUri(string issuer, string accountName, byte[] secret)
    {
        var label = Uri.EscapeDataString(issuer) + ":" + Uri.EscapeDataString(accountName);
        var key = Base32Encoding.ToString(secret).TrimEnd('=');
        return $"otpauth://totp/{label}?secret={key}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";
    }
}
