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
        if (string.IsNullOrEmpty(clientId) || clientId.Length > 255 || AppEditPage.For(protocol, clientId) is not { } edit)
        {
            return BadRequest();
        }

        var found = protocol == AppProtocols.SimpleSso
            ? await settings.SetConsumerAsync(clientId, requireMfa, ct)
            : await settings.SetClientAsync(clientId, requireMfa, ct);
        if (!found)
        {
            return NotFound();
        }

        StatusMessage = requireMfa ? $"'{clientId}' now requires MFA." : $"'{clientId}' no longer requires MFA.";
        return RedirectToPage(edit.Page, edit.Route);
    }
}
