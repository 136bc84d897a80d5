using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Cli;
using Latchkey.Server.Sessions;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin;

/// <summary>The per-app session settings of the consumer and client edit pages (one form, posted here, back to the edit page).</summary>
public sealed class AppSessionsModel(AppSessionSettings settings) : AdminPageModel
{
    public IActionResult OnGet() => NotFound();

    public async Task<IActionResult> OnPostAsync(string? protocol, string? clientId, string? maxSessionAge, string? backChannelLogoutUrl, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(clientId) || clientId.Length > 255 || AppEditPage.For(protocol, clientId) is not { } edit)
        {
            return BadRequest();
        }

        var age = TimeSpan.Zero;
        if (!string.IsNullOrWhiteSpace(maxSessionAge) && (!DurationParser.TryParse(maxSessionAge.Trim(), out age) || age <= TimeSpan.Zero))
        {
            StatusMessage = $"'{maxSessionAge}' is not a duration such as 30m, 8h or 1d.";
            return RedirectToPage(edit.Page, edit.Route);
        }

        bool found;
        try
        {
            found = protocol == AppProtocols.SimpleSso
                ? await settings.SetConsumerAsync(clientId, age, (backChannelLogoutUrl ?? "").Trim(), ct)
                : await settings.SetClientMaxSessionAgeAsync(clientId, age, ct);
        }
        catch (AppSessionSettingsException e)
        {
            StatusMessage = e.Message;
            return RedirectToPage(edit.Page, edit.Route);
        }

        if (!found)
        {
            return NotFound();
        }

        StatusMessage = $"Session settings of '{clientId}' saved.";
        return RedirectToPage(edit.Page, edit.Route);
    }
}
