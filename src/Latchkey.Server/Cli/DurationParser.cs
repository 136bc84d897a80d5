using System.Globalization;

namespace Latchkey.Server.Cli;

/// <summary>
/// Reads durations as operators type them: <c>30m</c>, <c>24h</c>, <c>7d</c>, <c>90s</c>, or a .NET
/// TimeSpan such as <c>1.00:00:00</c>.
/// </summary>
internal static class DurationParser
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var unit = char.ToLowerInvariant(text[^1]);
        if (char.IsAsciiLetter(unit))
        {
            if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            TimeSpan? parsed = unit switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (parsed is null)
            {
                return false;
            }

            duration = parsed.Value;
            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }
}
