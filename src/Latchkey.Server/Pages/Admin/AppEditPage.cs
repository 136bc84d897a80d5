using Latchkey.Server.Accounts.AppAccess;

namespace Latchkey.Server.Pages.Admin;

/// <summary>The admin edit page of an app (consumer or client), where the per-app forms post back to.</summary>
public sealed record AppEditPage(string Page, object Route)
{
    /// <summary>The edit page for <paramref name="protocol"/>, or null for an unknown protocol.</summary>
    public static AppEditPage? For(string? protocol, string clientId) => protocol switch
    {
        AppProtocols.SimpleSso => new("/Admin/Consumers/Edit", new { name = clientId }),
        AppProtocols.Oidc => new("/Admin/Clients/Edit", new { clientId }),
        _ => null,
    };
}
