using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Sessions;

/// <summary>Registration of SSO sessions and single logout; called from <c>AddLatchkeyCore</c>.</summary>
public static class SsoSessionServiceCollectionExtensions
{
    public static IServiceCollection AddLatchkeySessions(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddMemoryCache();
        services.AddOptions<SessionLifetimeOptions>().BindConfiguration(SessionLifetimeOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionLifetimeOptions>, SessionLifetimeOptionsValidator>());
        services.TryAddSingleton<SsoSessionStateCache>();
        services.TryAddSingleton<SingleLogoutIssuer>();
        services.TryAddSingleton<LogoutTokenFactory>();
        services.TryAddSingleton<LogoutDeliverySignal>();
        services.TryAddScoped<IOidcLogoutClients, OpenIddictLogoutClients>();
        services.TryAddScoped<SsoSessionRegistry>();
        services.TryAddScoped<LatchkeySignIn>();
        services.TryAddScoped<UserSessionRevoker>();
        services.TryAddScoped<AppSessionAge>();
        services.TryAddScoped<SessionListing>();
        services.TryAddScoped<AppSessionSettings>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ISingleLogoutChannel, OidcBackChannelLogout>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ISingleLogoutChannel, SimpleSsoBackChannelLogout>());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<CookieAuthenticationOptions>, SsoSessionCookieValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<SecurityStampValidatorOptions>, SsoSessionClaimsPreservation>());

        services.AddHttpClient(OidcBackChannelLogout.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(5))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(5) });

        services.TryAddSingleton<LogoutDeliveryWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<LogoutDeliveryWorker>());
        services.TryAddSingleton<SsoSessionSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<SsoSessionSweeper>());
        return services;
    }

    /// <summary>Maps the simple-sso client-initiated logout (<c>{base}logout/</c>); called from <c>MapLatchkey</c>.</summary>
    public static TBuilder MapLatchkeySessions<TBuilder>(this TBuilder app)
        where TBuilder : IEndpointRouteBuilder
    {
        var basePath = app.ServiceProvider.GetRequiredService<Latchkey.Server.SimpleSso.SimpleSsoSettings>().BasePath;

        // GET only: a prefetch or link preview is a GET too, but the token is single-purpose, fresh and signed by the app.
        app.MapGet(basePath + "logout/", SimpleSsoLogoutEndpoint.HandleAsync).WithName("simple-sso-logout");
        return app;
    }
}
