using System.Text.Json;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Accounts.AppAccess;

/// <summary>Reads and sets "this app requires MFA" for simple-sso consumers (a column) and OIDC clients (<c>require_mfa</c> property).</summary>
public sealed class AppMfaSettings(LatchkeyDbContext db, IOpenIddictApplicationManager applications)
{
    /// <summary>False when no consumer has that name.</summary>
    public async Task<bool> SetConsumerAsync(string name, bool requireMfa, CancellationToken ct) =>
        await db.Consumers.Where(c => c.Name == name).ExecuteUpdateAsync(set => set.SetProperty(c => c.RequireMfa, requireMfa), ct) == 1;

    public Task<bool?> GetConsumerAsync(string name, CancellationToken ct) =>
        db.Consumers.AsNoTracking().Where(c => c.Name == name).Select(c => (bool?)c.RequireMfa).FirstOrDefaultAsync(ct);

    /// <summary>False when no client has that client_id. Goes through OpenIddict's manager, so caches drop the old entry.</summary>
    public async Task<bool> SetClientAsync(string clientId, bool requireMfa, CancellationToken ct)
    {
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
        if (requireMfa)
        {
            descriptor.Properties[ClientSettings.RequireMfaKey] = JsonSerializer.SerializeToElement(true);
        }
        else
        {
            descriptor.Properties.Remove(ClientSettings.RequireMfaKey);
        }

        // Populate + UpdateAsync(application): UpdateAsync(application, descriptor) would treat the stored (hashed) secret as a
        // new plaintext secret and hash it again.
        await applications.PopulateAsync(application, descriptor, ct);
        await applications.UpdateAsync(application, ct);
        return true;
    }

    public async Task<bool?> GetClientAsync(string clientId, CancellationToken ct)
    {
        var application = await applications.FindByClientIdAsync(clientId, ct);
        return application is null ? null : ClientSettings.Read(await applications.GetPropertiesAsync(application, ct)).RequireMfa;
    }
}
