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

    [BindProperty]
    public EditConsumerInput Input { get; set; } = new();

    [BindProperty]
    public RotateKeysInput Rotate { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        Input = new EditConsumerInput
        {
            RedirectOrigins = OriginList.Format(Consumer!.RedirectOrigins),
            GrantStaff = Consumer.GrantStaff,
            GrantSuperuser = Consumer.GrantSuperuser,
        };
        return Page();
    }

    public async Task<IActionResult> OnPostUpdateAsync(CancellationToken ct)
    {
        // The rotate form's fields are not part of this post.
        ClearErrorsOf(nameof(Rotate));
        if (ModelState.IsValid)
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
        ClearErrorsOf(nameof(Input));
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

        // Show the stored settings, not what another form may have posted.
        Input = new EditConsumerInput
        {
            RedirectOrigins = OriginList.Format(Consumer!.RedirectOrigins),
            GrantStaff = Consumer.GrantStaff,
            GrantSuperuser = Consumer.GrantSuperuser,
        };
        ModelState.Remove("Input.RedirectOrigins");
        ModelState.Remove("Input.GrantStaff");
        ModelState.Remove("Input.GrantSuperuser");
        return Page();
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        Consumer = string.IsNullOrEmpty(Name) ? null : await registry.GetAsync(Name, ct);
        return Consumer is not null;
    }

    private void ClearErrorsOf(string prefix)
    {
        foreach (var key in ModelState.Keys.Where(k => k.StartsWith(prefix + ".", StringComparison.Ordinal)).ToList())
        {
            ModelState.Remove(key);
        }
    }
}
