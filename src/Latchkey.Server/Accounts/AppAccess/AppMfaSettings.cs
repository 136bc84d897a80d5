using System.Text.Json;
using Latchkey.Server.Audit;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Accounts.AppAccess;

/// <summary>Reads and sets "this app requires MFA" for simple-sso consumers (a column) and OIDC clients (<c>require_mfa</c> property).</summary>
public sealed class AppMfaSettings(LatchkeyDbContext db, IOpenIddictApplicationManager applications, IAuditLog audit)
{
    /// <summary>False when no consumer has that name.</summary>
    public async Task<bool> SetConsumerAsync(string name, bool requireMfa, CancellationToken ct)
    {
        if (await db.Consumers.Where(c => c.Name == name).ExecuteUpdateAsync(set => set.SetProperty(c => c.RequireMfa, requireMfa), ct) != 1)
        {
            return false;
        }

        await AuditAsync("consumer.updated", AuditRecord.SimpleSsoApp(name), requireMfa, ct);
        return true;
    }

    public Task<bool?> GetConsumerAsync(string name, CancellationToken ct) =>
        db.Consumers.AsNoTracking().Where(c => c.Name == name).Select(c => (bool?)c.RequireMfa).FirstOrDefaultAsync(ct);

    /// <summary>False when no client has that client_id. Goes through OpenIddict's manager, so caches drop the old entry.</summary>
    public async Task<bool> SetClientAsync(string clientId, bool requireMfa, CancellationToken ct)
    {
        if (!await applications.SetPropertyAsync(clientId, ClientSettings.RequireMfaKey, requireMfa ? JsonSerializer.SerializeToElement(true) : null, ct))
        {
            return false;
        }

        await AuditAsync("client.updated", AuditRecord.OidcApp(clientId), requireMfa, ct);
        return true;
    }

    private Task AuditAsync(string eventName, string app, bool requireMfa, CancellationToken ct) =>
        audit.AppendAsync(
            new AuditRecord(eventName, AuditOutcome.Success)
            {
                App = app,
                Details = new Dictionary<string, string> { ["require_mfa"] = requireMfa ? "true" : "false" },
            },
            ct);

    public async Task<bool?> GetClientAsync(string clientId, CancellationToken ct)
    {
        var application = await applications.FindByClientIdAsync(clientId, ct);
        return application is null ? null : ClientSettings.Read(await applications.GetPropertiesAsync(application, ct)).RequireMfa;
    }
}
