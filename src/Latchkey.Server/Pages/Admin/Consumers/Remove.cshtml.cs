using Latchkey.Server.Consumers;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Consumers;

public sealed class RemoveModel(ConsumerRegistry registry) : AdminPageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Name { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) =>
        !string.IsNullOrEmpty(Name) && await registry.GetAsync(Name, ct) is not null ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(Name) || !await registry.RemoveAsync(Name, ct))
        {
            return NotFound();
        }

        StatusMessage = $"Consumer '{Name}' removed.";
        return RedirectToPage("/Admin/Consumers/Index");
    }
}
