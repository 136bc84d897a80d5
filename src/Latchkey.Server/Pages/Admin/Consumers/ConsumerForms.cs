using System.ComponentModel.DataAnnotations;

namespace Latchkey.Server.Pages.Admin.Consumers;

/// <summary>Origins as typed into a text area: one per line (commas and spaces also separate).</summary>
internal static class OriginList
{
    public static IReadOnlyList<string> Parse(string? text) =>
        (text ?? "").Split(['\n', '\r', ',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string Format(IEnumerable<string> origins) => string.Join("\n", origins);
}

public sealed class CreateConsumerInput
{
    [Required]
    [StringLength(255)]
    public string? Name { get; set; }

    [Required]
    [Display(Name = "Redirect origins (one per line)")]
    public string? RedirectOrigins { get; set; }
}

public sealed class EditConsumerInput
{
    [Required]
    [Display(Name = "Redirect origins (one per line)")]
    public string? RedirectOrigins { get; set; }

    [Display(Name = "Send is_staff = true")]
    public bool GrantStaff { get; set; }

    [Display(Name = "Send is_superuser = true")]
    public bool GrantSuperuser { get; set; }
}

public sealed class RotateKeysInput
{
    [Required]
    [Display(Name = "Old keys keep working for")]
    public string Overlap { get; set; } = "24h";
}
