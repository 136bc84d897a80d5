using Latchkey.Server.Oidc.Clients;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Clients;

public sealed class EditModel(ClientRegistry registry) : AdminPageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ClientId { get; set; }

    public ClientSummary? Client { get; private set; }

    /// <summary>Set only in the response to a successful rotation: the one time the new secret is shown.</summary>
    public CreatedClient? Rotated { get; private set; }

    // Bound in the update handler only: the rotate form posts no settings.
    public EditClientInput Input { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        Input = ClientSettingsInput.From<EditClientInput>(Client!);
        return Page();
    }

    public async Task<IActionResult> OnPostUpdateAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        if (await TryUpdateModelAsync(Input, nameof(Input)))
        {
            try
            {
                if (!await registry.UpdateAsync(Input.ToDefinition(Client!.ClientId, Client.Type), ct))
                {
                    return NotFound();
                }

                StatusMessage = $"Client '{ClientId}' updated.";
                return RedirectToPage(new { clientId = ClientId });
            }
            catch (ClientValidationException e)
            {
                ModelState.AddModelError(string.Empty, e.Message);
            }
        }

        return Page();
    }

    public async Task<IActionResult> OnPostRotateSecretAsync(CancellationToken ct)
    {
        try
        {
            Rotated = await registry.RotateSecretAsync(ClientId ?? "", ct);
            if (Rotated is null)
            {
                return NotFound();
            }

            DoNotStore();
        }
        catch (ClientValidationException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
        }

        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        Input = ClientSettingsInput.From<EditClientInput>(Client!);
        return Page();
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        Client = string.IsNullOrEmpty(ClientId) ? null : await registry.GetAsync(ClientId, ct);
        return Client is not null;
    }
}
