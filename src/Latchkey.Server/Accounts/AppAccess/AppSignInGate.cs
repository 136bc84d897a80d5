using System.Security.Claims;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Hosting;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Accounts.AppAccess;

/// <summary>The app a browser is being signed into.</summary>
/// <param name="Protocol"><see cref="AppProtocols.SimpleSso"/> or <see cref="AppProtocols.Oidc"/>.</param>
/// <param name="ClientId">Consumer name or OIDC client_id.</param>
public sealed record AppReference(string Protocol, string ClientId)
{
    /// <summary>This request asks for a multi-factor session on its own (OIDC <c>acr_values</c> naming the MFA acr).</summary>
    public bool RequestsMfa { get; init; }
}

public static class AppProtocols
{
    public const string SimpleSso = "simple-sso";
    public const string Oidc = "oidc";
}

/// <summary>What the authorize endpoints do with a signed-in browser.</summary>
public enum AppGateDecision
{
    /// <summary>Hand out the login.</summary>
    Allow,

    /// <summary>The session is too old for this app: send to the login page with the return URL.</summary>
    Reauthenticate,

    /// <summary>The app needs MFA and the session is single-factor: send to <see cref="AppSignInGate.VerifyPath"/>.</summary>
    StepUp,

    /// <summary>MFA is needed but the user has no second factor yet: send to <see cref="AppSignInGate.EnrolPath"/>.</summary>
    Enrol,
}

/// <summary>
/// Decides, per app, whether the browser's SSO session may be used for a login now. Called by the simple-sso authorize endpoint
/// and the OIDC authorize page after they know who is signed in. MFA rule: see <see cref="MfaPolicy"/>.
/// </summary>
public sealed class AppSignInGate(
    LatchkeyDbContext db,
    UserManager<LatchkeyUser> users,
    MfaFactors factors,
    IOpenIddictApplicationManager applications,
    IOptions<LatchkeyOptions> options,
    AppSessionAge sessionAge)
{
    public const string VerifyPath = "/account/mfa/verify";
    public const string EnrolPath = "/account/mfa/totp";

    public async Task<AppGateDecision> CheckAsync(AppReference app, ClaimsPrincipal user, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity?.IsAuthenticated != true || !Guid.TryParse(users.GetUserId(user), out var userId))
        {
            return AppGateDecision.Reauthenticate;
        }

        var account = await db.Set<LatchkeyUser>().AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, ct);
        if (account is null)
        {
            return AppGateDecision.Reauthenticate;
        }

        // Per-app maximum session age (time since the user last authenticated), before MFA: signing in again satisfies both.
        if (await sessionAge.IsTooOldAsync(app.Protocol, app.ClientId, user, ct))
        {
            return AppGateDecision.Reauthenticate;
        }

        var required = MfaPolicy.Required(options.Value.Mfa.PolicyKind, account.MfaRequirement, app.RequestsMfa || await AppRequiresMfaAsync(app, ct));
        if (!required || IsMultiFactor(user))
        {
            return AppGateDecision.Allow;
        }

        return (await factors.GetAsync(account, ct)).CanVerify ? AppGateDecision.StepUp : AppGateDecision.Enrol;
    }

    /// <summary>Whether the session behind this principal already proved two factors.</summary>
    public static bool IsMultiFactor(ClaimsPrincipal user) => user.GetAuthenticationMethods().Contains("mfa");

    /// <summary>Where to send the browser for a non-Allow decision, coming back to <paramref name="returnUrl"/> (a local URL).</summary>
    public static string RedirectFor(AppGateDecision decision, string returnUrl) => decision switch
    {
        AppGateDecision.StepUp => VerifyPath + "?returnUrl=" + Uri.EscapeDataString(returnUrl),
        AppGateDecision.Enrol => EnrolPath + "?returnUrl=" + Uri.EscapeDataString(returnUrl),
        AppGateDecision.Reauthenticate => "/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl),
        _ => returnUrl,
    };

    private async Task<bool> AppRequiresMfaAsync(AppReference app, CancellationToken ct)
    {
        switch (app.Protocol)
        {
            case AppProtocols.SimpleSso:
                return await db.Consumers.AsNoTracking().Where(c => c.Name == app.ClientId).Select(c => c.RequireMfa).FirstOrDefaultAsync(ct);
            case AppProtocols.Oidc:
                var application = await applications.FindByClientIdAsync(app.ClientId, ct);
                return application is not null && ClientSettings.Read(await applications.GetPropertiesAsync(application, ct)).RequireMfa;
            default:
                throw new ArgumentException($"Unknown protocol '{app.Protocol}'.", nameof(app));
        }
    }
}
