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
        services.TryAddSingleton<SsoSessionStateCache>();
        services.TryAddSingleton<SingleLogoutIssuer>();
        services.TryAddSingleton<LogoutTokenFactory>();
        services.TryAddSingleton<LogoutDeliverySignal>();
        services.TryAddScoped<IOidcLogoutClients, OpenIddictLogoutClients>();
        services.TryAddScoped<SsoSessionRegistry>();
        services.TryAddScoped<LatchkeySignIn>();
        services.TryAddScoped<UserSessionRevoker>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ISingleLogoutChannel, OidcBackChannelLogout>());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<CookieAuthenticationOptions>, SsoSessionCookieValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<SecurityStampValidatorOptions>, SsoSessionClaimsPreservation>());

        services.AddHttpClient(OidcBackChannelLogout.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(5))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(5) });

        services.TryAddSingleton<LogoutDeliveryWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<LogoutDeliveryWorker>());
        return services;
    }
}
