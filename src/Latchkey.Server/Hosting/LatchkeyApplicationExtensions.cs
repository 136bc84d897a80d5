using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Hosting.RateLimiting;
using Latchkey.Server.Oidc;
using Latchkey.Server.Oidc.ClientCredentials;
using Latchkey.Server.Sessions;
using Latchkey.Server.SimpleSso;
using Latchkey.Server.Telemetry;

namespace Latchkey.Server.Hosting;

/// <summary>Request pipeline and endpoint composition.</summary>
public static class LatchkeyApplicationExtensions
{
    public static WebApplication MapLatchkey(this WebApplication app)
    {
        // First: everything below (issuer, redirects, cookies' Secure flag, session IP) must see the client's scheme, host and address.
        app.UseLatchkeyForwardedHeaders();

        // ProblemDetails without exception details, in every environment: a stack trace helps attackers more than users.
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = _ => StatusCodes.Status500InternalServerError });
        app.UseStatusCodePages();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseLatchkeyStaticFiles();

        app.UseRouting();
        // Before authentication: an over-budget request must not cost a password hash (client secrets, cookies).
        app.UseLatchkeyRateLimiting();
        // Valid client_credentials requests are answered here; everything else goes on to OpenIddict (in authentication).
        app.UseLatchkeyClientCredentialsFastPath();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapRazorPages();
        app.MapLatchkeySimpleSso();
        app.MapLatchkeySessions();
        app.MapLatchkeyOidc();
        app.MapLatchkeyTelemetry();
        app.MapLatchkeyPasskeys();
        return app;
    }
}
