using System.Security.Claims;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Sessions;

/// <summary>
/// Ties Identity's application cookie to its server-side session: on every request the cookie is refused
/// (and deleted) unless its <c>sid</c> names an active session of the same user. Runs before Identity's
/// security-stamp check, which it chains, so a refused cookie costs no user lookup.
/// </summary>
internal sealed class SsoSessionCookieValidation(
    SsoSessionStateCache cache,
    TimeProvider time,
    IOptions<SessionLifetimeOptions> lifetimes,
    ILogger<SsoSessionCookieValidation> logger)
    : IPostConfigureOptions<CookieAuthenticationOptions>
{
    /// <summary>LastSeenAt is written at most this often per session.</summary>
    public static readonly TimeSpan LastSeenGranularity = TimeSpan.FromMinutes(1);

    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (name != IdentityConstants.ApplicationScheme)
        {
            return;
        }

        // The cookie outlives nothing the server would accept: its own expiry is the longest idle timeout, and the
        // server-side check below applies the session's real bounds (shorter for a browser-session cookie).
        options.ExpireTimeSpan = lifetimes.Value.IdleTimeoutFor(persistent: true);

        var next = options.Events.OnValidatePrincipal;
        options.Events.OnValidatePrincipal = async context =>
        {
            if (await ValidateAsync(context))
            {
                await next(context);
            }
        };
    }

    /// <summary>True if the cookie may stand; false after rejecting it.</summary>
    public async Task<bool> ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        if (principal?.GetSsoSessionId() is not { } sessionId)
        {
            // Issued before sessions existed (or forged without one): it names no session we can end.
            await RejectAsync(context, "no session id");
            return false;
        }

        var http = context.HttpContext;
        var db = http.RequestServices.GetRequiredService<LatchkeyDbContext>();
        var state = await cache.GetAsync(sessionId, db, http.RequestAborted);
        if (state is not { Active: true } || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId) || userId != state.UserId)
        {
            await RejectAsync(context, state is null ? "unknown session" : state.Active ? "session of another user" : "session ended");
            return false;
        }

        var now = time.GetUtcNow();
        if (lifetimes.Value.ExpiryReason(state.CreatedAt, state.LastSeenAt, state.IsPersistent, now) is { } expiry)
        {
            // Ended here rather than only refused, so the apps that took part are told and the list shows it ended.
            await http.RequestServices.GetRequiredService<SsoSessionRegistry>().EndAsync(sessionId, expiry, http.RequestAborted);
            await RejectAsync(context, expiry);
            return false;
        }

        if (now - state.LastSeenAt >= LastSeenGranularity)
        {
            await db.Set<SsoSession>().Where(s => s.Id == sessionId && s.EndedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), http.RequestAborted);
            cache.Remember(sessionId, state with { LastSeenAt = now }, now);
        }

        return true;
    }

    private async Task RejectAsync(CookieValidatePrincipalContext context, string reason)
    {
        Log.CookieRefused(logger, reason);
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
    }
}

/// <summary>Keeps the session claims when Identity's security-stamp check rebuilds the principal from the user.</summary>
internal sealed class SsoSessionClaimsPreservation : IPostConfigureOptions<SecurityStampValidatorOptions>
{
    public void PostConfigure(string? name, SecurityStampValidatorOptions options)
    {
        var next = options.OnRefreshingPrincipal;
        options.OnRefreshingPrincipal = async context =>
        {
            if (context.CurrentPrincipal is { } current && context.NewPrincipal?.Identity is ClaimsIdentity identity)
            {
                foreach (var type in SsoSessionClaimTypes.All)
                {
                    foreach (var claim in identity.FindAll(type).ToList())
                    {
                        identity.RemoveClaim(claim);
                    }

                    identity.AddClaims(current.FindAll(type).Select(c => new Claim(c.Type, c.Value, c.ValueType)));
                }
            }

            if (next is not null)
            {
                await next(context);
            }
        };
    }
}
