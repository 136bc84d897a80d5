using Latchkey.Server.Accounts.AppAccess;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin;

/// <summary>Which app an <c>_AppMfaForm</c> or <c>_AppSessionForm</c> is about.</summary>
public sealed record AppMfaTarget(string Protocol, string ClientId);

/// <summary>The "requires MFA" switch of the consumer and client edit pages (one form, posted here, back to the edit page).</summary>
public sealed class AppMfaModel(AppMfaSettings settings) : AdminPageModel
{
    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(string? protocol, string? clientId, bool requireMfa, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(clientId) || clientId.Length > 255)
        {
            return BadRequest();
        }

        var (found, page, route) = protocol switch
        {
            AppProtocols.SimpleSso => (await settings.SetConsumerAsync(clientId, requireMfa, ct), "/Admin/Consumers/Edit", (object)new { name = clientId }),
            AppProtocols.Oidc => (await settings.SetClientAsync(clientId, requireMfa, ct), "/Admin/Clients/Edit", new { clientId }),
            _ => (false, "", new { }),
        };
        if (page.Length == 0)
        {
            return BadRequest();
        }

        if (!found)
        {
            return NotFound();
        }

        StatusMessage = requireMfa ? $"'{clientId}' now requires MFA." : $"'{clientId}' no longer requires MFA.";
        return RedirectToPage(page, route);
    }
}
