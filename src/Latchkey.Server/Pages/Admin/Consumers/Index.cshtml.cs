using Latchkey.Server.Consumers;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Consumers;

public sealed class IndexModel(ConsumerRegistry registry, TimeProvider time) : AdminPageModel
{
    public IReadOnlyList<ConsumerSummary> Consumers { get; private set; } = [];

    public DateTimeOffset Now { get; } = time.GetUtcNow();

    /// <summary>Set only in the response to a successful create: the one time the private key is shown.</summary>
    public CreatedConsumer? Created { get; private set; }

    [BindProperty]
    public CreateConsumerInput Input { get; set; } = new();

    public async Task OnGetAsync(CancellationToken ct) => Consumers = await registry.ListAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            try
            {
                // Rendered directly, not redirected: the keys must not pass through TempData or a URL.
                Created = await registry.CreateAsync(Input.Name!, OriginList.Parse(Input.RedirectOrigins), ct);
                DoNotStore();
                ModelState.Clear();
                Input = new CreateConsumerInput();
            }
            catch (ConsumerValidationException e)
            {
                ModelState.AddModelError(string.Empty, e.Message);
            }
        }

        Consumers = await registry.ListAsync(ct);
        return Page();
    }
}
