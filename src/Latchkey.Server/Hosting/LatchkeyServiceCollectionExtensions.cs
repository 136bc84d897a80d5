using Latchkey.Server.Accounts;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Hosting.RateLimiting;
using Latchkey.Server.Mail;
using Latchkey.Server.Audit;
using Latchkey.Server.Oidc;
using Latchkey.Server.Scaling;
using Latchkey.Server.Sessions;
using Latchkey.Server.SimpleSso;
using Latchkey.Server.Telemetry;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>Service composition: every feature adds itself through its own extension method from here.</summary>
public static class LatchkeyServiceCollectionExtensions
{
    /// <summary>Everything the web server needs.</summary>
    public static IServiceCollection AddLatchkey(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddLatchkeyCore();

        // Order matters: hosted services start in registration order, and the schema must exist
        // before the bootstrapper (or any feature's background work) touches it.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, LatchkeyDatabaseMigrator>());
        services.AddHostedService<AdminBootstrapper>();
        services.TryAddSingleton(new AdminBootstrapOutput(Console.Out));

        services.AddLatchkeyOidc();
        services.AddLatchkeyTelemetry(configuration);
        services.AddLatchkeyRateLimiting();
        services.AddRazorPages();
        services.Configure<RouteOptions>(routes => routes.LowercaseUrls = true);
        services.AddProblemDetails();
        // No "Server: Kestrel": it tells attackers which CVEs to try and tells users nothing.
        services.Configure<KestrelServerOptions>(kestrel => kestrel.AddServerHeader = false);
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "latchkey.antiforgery";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        return services;
    }

    /// <summary>Options, storage, Identity, Data Protection and feature services, without anything web-only; used by CLI commands too.</summary>
    public static IServiceCollection AddLatchkeyCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<LatchkeyOptions>()
            .BindConfiguration(LatchkeyOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, LatchkeyOptionsValidator>());

        services.AddLatchkeyStorage();
        services.AddLatchkeyAudit();
        services.AddLatchkeyScaling();
        services.AddLatchkeyAccounts();
        services.AddLatchkeySimpleSso();
        services.AddLatchkeyOidcStores();
        services.AddLatchkeySessions();
        services.AddLatchkeyMfa();
        services.AddLatchkeyMail();
        services.AddLatchkeyPasskeys();
        return services;
    }
}
