namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>The rule for the label a user gives a passkey ("Work laptop", "YubiKey 5C").</summary>
public static class PasskeyNames
{
    public const int MaxLength = 64;

    /// <summary>Trims the name; null and a message when it is empty, too long or holds control characters.</summary>
    public static string? Normalize(string? name, out string? error)
    {
        var trimmed = name?.Trim() ?? "";
        error = trimmed.Length == 0 ? "Give the passkey a name."
            : trimmed.Length > MaxLength ? $"A passkey name has at most {MaxLength} characters."
            : trimmed.Any(char.IsControl) ? "A passkey name cannot contain control characters."
            : null;
        return error is null ? trimmed : null;
    }
}
