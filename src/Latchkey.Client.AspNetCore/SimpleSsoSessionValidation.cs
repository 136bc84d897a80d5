using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latchkey.Client.AspNetCore;

/// <summary>
/// Chained in front of every cookie scheme's principal validation: a principal whose <see cref="SimpleSsoClaimTypes.SsoSession"/>
/// the server has ended (back-channel logout) is rejected and its cookie deleted on its next request. Principals without
/// that claim (other sign-in methods, servers without single logout) are left alone.
/// </summary>
internal sealed class SimpleSsoSessionValidation : IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        var next = options.Events.OnValidatePrincipal;
        options.Events.OnValidatePrincipal = async context =>
        {
            if (context.Principal?.FindFirst(SimpleSsoClaimTypes.SsoSession)?.Value is { Length: > 0 } ssoSession
                && await context.HttpContext.RequestServices.GetRequiredService<SimpleSsoSessionStore>().IsEndedAsync(ssoSession, context.HttpContext.RequestAborted))
            {
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(context.Scheme.Name);
                return;
            }

            await next(context);
        };
    }
}
