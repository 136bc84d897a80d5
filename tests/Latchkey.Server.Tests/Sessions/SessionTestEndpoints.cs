using System.Text.Json;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>
/// Test-only endpoints in front of the real pipeline: <c>/_test/claims</c> answers the claims of the
/// application cookie exactly as the server sees them (after session validation), <c>/_test/legacy-sign-in</c>
/// issues a cookie the way the server did before sessions existed (no <c>sid</c>).
/// </summary>
internal sealed class SessionTestEndpoints : IStartupFilter
{
    public const string ClaimsPath = "/_test/claims";
    public const string LegacySignInPath = "/_test/legacy-sign-in";

    /// <summary>Signs the current user in again through <c>LatchkeySignIn</c> with the methods in <c>?amr=a,b</c>, as a second factor would.</summary>
    public const string StepUpPath = "/_test/step-up";

    public static void Register(IServiceCollection services) => services.AddSingleton<IStartupFilter, SessionTestEndpoints>();

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            if (context.Request.Path == ClaimsPath)
            {
                var result = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
                var claims = result.Principal?.Claims.Select(c => new[] { c.Type, c.Value }).ToArray() ?? [];
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(JsonSerializer.Serialize(claims));
                return;
            }

            if (context.Request.Path == LegacySignInPath)
            {
                var users = context.RequestServices.GetRequiredService<UserManager<LatchkeyUser>>();
                var user = await users.FindByNameAsync(context.Request.Query["user"].ToString());
                await context.RequestServices.GetRequiredService<LatchkeySignInManager>().SignInAsync(user!, isPersistent: false);
                return;
            }

            if (context.Request.Path == StepUpPath)
            {
                var result = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
                var users = context.RequestServices.GetRequiredService<UserManager<LatchkeyUser>>();
                var user = await users.GetUserAsync(result.Principal!);
                context.User = result.Principal!;
                var methods = context.Request.Query["amr"].ToString().Split(',');
                await context.RequestServices.GetRequiredService<Latchkey.Server.Sessions.LatchkeySignIn>().SignInAsync(user!, methods, isPersistent: false);
                return;
            }

            await nextMiddleware(context);
        });
        next(app);
    };

    /// <summary>The cookie's claims as (type, value) pairs; empty when the server does not accept the cookie.</summary>
    public static async Task<IReadOnlyList<(string Type, string Value)>> ClaimsAsync(HttpClient browser)
    {
        using var response = await browser.GetAsync(ClaimsPath);
        response.EnsureSuccessStatusCode();
        var pairs = JsonSerializer.Deserialize<string[][]>(await response.Content.ReadAsStringAsync())!;
        return [.. pairs.Select(p => (p[0], p[1]))];
    }
}
