using System.Security.Claims;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.SimpleSso;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Sessions;

/// <summary>
/// Per-app session age limits, tighter than the global lifetime: <see cref="Consumer.MaxSessionAge"/> for simple-sso
/// consumers, <c>max_session_age_seconds</c> in an OIDC client's settings. "Age" is time since the user last proved who
/// they are (<c>auth_time</c>), like OIDC <c>max_age</c>: signing in again satisfies it without ending the session.
/// </summary>
public sealed class AppSessionAge(LatchkeyDbContext db, IOpenIddictApplicationManager applications, TimeProvider time)
{
    // Compiled once: it runs on every simple-sso authorize, where EF's per-call query-cache lookup cost more than the query.
    private static readonly PerModelCompiledQuery<Func<LatchkeyDbContext, string, CancellationToken, Task<TimeSpan?>>> ConsumerMaxAge = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext context, string name, CancellationToken ct) =>
            context.Consumers.AsNoTracking().Where(c => c.Name == name).Select(c => c.MaxSessionAge).FirstOrDefault()));

    /// <summary>The app's limit, or null when it has none (or is unknown).</summary>
    public async Task<TimeSpan?> MaxAgeAsync(string protocol, string clientId, CancellationToken ct)
    {
        switch (protocol)
        {
            case SsoProtocols.SimpleSso:
                return await ConsumerMaxAge.For(db)(db, clientId, ct);
            case SsoProtocols.Oidc:
                var application = await applications.FindByClientIdAsync(clientId, ct);
                return application is null ? null : ClientSettings.Read(await applications.GetPropertiesAsync(application, ct)).MaxSessionAge;
            default:
                throw new ArgumentException($"Unknown protocol '{protocol}'.", nameof(protocol));
        }
    }

    /// <summary>True when the signed-in user authenticated longer ago than the app allows (or the time is unknown).</summary>
    public async Task<bool> IsTooOldAsync(string protocol, string clientId, ClaimsPrincipal user, CancellationToken ct)
    {
        if (await MaxAgeAsync(protocol, clientId, ct) is not { } maxAge)
        {
            return false;
        }

        return user.GetAuthenticationTime() is not { } authenticatedAt || time.GetUtcNow() - authenticatedAt > maxAge;
    }
}
