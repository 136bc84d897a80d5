using Latchkey.Server.Oidc.Clients;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Clients;

public sealed class RemoveModel(ClientRegistry registry) : AdminPageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ClientId { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) =>
        !string.IsNullOrEmpty(ClientId) && await registry.GetAsync(ClientId, ct) is not null ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(ClientId) || !await registry.RemoveAsync(ClientId, ct))
        {
            return NotFound();
        }

        StatusMessage = $"Client '{ClientId}' removed.";
        return RedirectToPage("/Admin/Clients/Index");
    }
}
