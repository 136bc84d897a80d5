using System.Text.Json;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>Changes one Latchkey setting stored in an OIDC client's <c>Properties</c> (see <see cref="ClientSettings"/>).</summary>
public static class ClientPropertyUpdates
{
    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, or removes it when null. False when no client has that client_id.</summary>
    public static async Task<bool> SetPropertyAsync(this IOpenIddictApplicationManager applications, string clientId, string key, JsonElement? value, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(applications);

        // A fresh tracked row, never the cross-request cached instance (updating that one fails).
        var application = applications is LatchkeyApplicationManager latchkey
            ? await latchkey.FindByClientIdForUpdateAsync(clientId, ct)
            : await applications.FindByClientIdAsync(clientId, ct);
        if (application is null)
        {
            return false;
        }

        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, ct);
        if (value is { } set)
        {
            descriptor.Properties[key] = set;
        }
        else
        {
            descriptor.Properties.Remove(key);
        }

        // Populate + UpdateAsync(application): UpdateAsync(application, descriptor) would treat the stored (hashed) secret as a
        // new plaintext secret and hash it again.
        await applications.PopulateAsync(application, descriptor, ct);
        await applications.UpdateAsync(application, ct);
        return true;
    }
}
