using Latchkey.Server.Cli;
using Latchkey.Server.Consumers;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Consumers;

public sealed class EditModel(ConsumerRegistry registry, TimeProvider time) : AdminPageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Name { get; set; }

    public ConsumerSummary? Consumer { get; private set; }

    public DateTimeOffset Now { get; } = time.GetUtcNow();

    /// <summary>Set only in the response to a successful rotation: the one time the new private key is shown.</summary>
    public CreatedConsumer? Rotated { get; private set; }

    // Bound per handler (TryUpdateModelAsync), not with [BindProperty]: each form posts only its own
    // fields, and validating the other form's empty model would report errors nobody caused.
    public EditConsumerInput Input { get; set; } = new();

    public RotateKeysInput Rotate { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        Input = SettingsOf(Consumer!);
        return Page();
    }

    public async Task<IActionResult> OnPostUpdateAsync(CancellationToken ct)
    {
        if (await TryUpdateModelAsync(Input, nameof(Input)))
        {
            try
            {
                if (!await registry.UpdateAsync(Name ?? "", OriginList.Parse(Input.RedirectOrigins), Input.GrantStaff, Input.GrantSuperuser, ct))
                {
                    return NotFound();
                }

                StatusMessage = $"Consumer '{Name}' updated.";
                return RedirectToPage(new { name = Name });
            }
            catch (ConsumerValidationException e)
            {
                ModelState.AddModelError(string.Empty, e.Message);
            }
        }

        return await LoadAsync(ct) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostRotateAsync(CancellationToken ct)
    {
        await TryUpdateModelAsync(Rotate, nameof(Rotate));
        if (!DurationParser.TryParse(Rotate.Overlap, out var overlap))
        {
            ModelState.AddModelError("Rotate.Overlap", "Use a duration such as 30m, 24h, 7d or 1.00:00:00.");
        }

        if (ModelState.IsValid)
        {
            try
            {
                Rotated = await registry.RotateKeysAsync(Name ?? "", overlap, ct);
                if (Rotated is null)
                {
                    return NotFound();
                }

                DoNotStore();
            }
            catch (ConsumerValidationException e)
            {
                ModelState.AddModelError(string.Empty, e.Message);
            }
        }

        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        Input = SettingsOf(Consumer!);
        return Page();
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        Consumer = string.IsNullOrEmpty(Name) ? null : await registry.GetAsync(Name, ct);
        return Consumer is not null;
    }

    private static EditConsumerInput SettingsOf(ConsumerSummary consumer) => new()
    {
        RedirectOrigins = OriginList.Format(consumer.RedirectOrigins),
        GrantStaff = consumer.GrantStaff,
        GrantSuperuser = consumer.GrantSuperuser,
    };
}
