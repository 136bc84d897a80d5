using Latchkey.Server.Consumers;
using Latchkey.Server.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.SimpleSso;

/// <summary>Registration of the simple-sso feature; called from <c>AddLatchkey</c> / <c>MapLatchkey</c>.</summary>
public static class SimpleSsoServiceCollectionExtensions
{
    /// <summary>Consumers, the simple-sso endpoints' settings and the expired-token sweeper.</summary>
    public static IServiceCollection AddLatchkeySimpleSso(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ConsumerKeyProtector>();
        services.TryAddScoped<ConsumerRegistry>();
        services.TryAddSingleton(provider => SimpleSsoSettings.From(provider.GetRequiredService<IOptions<LatchkeyOptions>>().Value.SimpleSso));
        services.TryAddSingleton<ExpiredTokenSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<ExpiredTokenSweeper>());
        return services;
    }

    /// <summary>Maps <c>request-token/</c>, <c>authorize/</c> and <c>verify/</c> under the configured base path.</summary>
    public static TBuilder MapLatchkeySimpleSso<TBuilder>(this TBuilder app)
        where TBuilder : IEndpointRouteBuilder
    {
        var basePath = app.ServiceProvider.GetRequiredService<SimpleSsoSettings>().BasePath;

        // Any method reaches request-token/ and verify/, so a GET gets Django's 405 "POST", not a routing 405.
        app.Map(basePath + "request-token/", RequestTokenEndpoint.HandleAsync).WithName("simple-sso-request-token");
        app.Map(basePath + "verify/", VerifyEndpoint.HandleAsync).WithName("simple-sso-verify");

        // GET only: a HEAD (link preview, prefetch) must not bind a request token.
        app.MapGet(basePath + "authorize/", AuthorizeEndpoint.HandleAsync).WithName("simple-sso-authorize");
        return app;
    }
}
