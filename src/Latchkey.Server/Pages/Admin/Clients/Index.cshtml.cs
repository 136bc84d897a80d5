using Latchkey.Server.Oidc.Clients;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Clients;

public sealed class IndexModel(ClientRegistry registry) : AdminPageModel
{
    public IReadOnlyList<ClientSummary> Clients { get; private set; } = [];

    /// <summary>Set only in the response to a successful create: the one time the secret is shown.</summary>
    public CreatedClient? Created { get; private set; }

    [BindProperty]
    public CreateClientInput Input { get; set; } = new();

    public async Task OnGetAsync(CancellationToken ct) => Clients = await registry.ListAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            try
            {
                // Rendered directly, not redirected: the secret must not pass through TempData or a URL.
                Created = await registry.CreateAsync(Input.ToDefinition(Input.ClientId!.Trim(), Input.Type), ct);
                DoNotStore();
                ModelState.Clear();
                Input = new CreateClientInput();
            }
            catch (ClientValidationException e)
            {
                ModelState.AddModelError(string.Empty, e.Message);
            }
        }

        Clients = await registry.ListAsync(ct);
        return Page();
    }
}
