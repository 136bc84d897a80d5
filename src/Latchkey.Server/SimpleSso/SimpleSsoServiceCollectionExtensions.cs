using Latchkey.Server.Consumers;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latchkey.Server.SimpleSso;

/// <summary>Registration of the simple-sso feature; called from <c>AddLatchkey</c> / <c>MapLatchkey</c>.</summary>
public static class SimpleSsoServiceCollectionExtensions
{
    /// <summary>Consumers, the simple-sso endpoints' services and the expired-token sweeper.</summary>
    public static IServiceCollection AddLatchkeySimpleSso(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddScoped<ConsumerRegistry>();
        return services;
    }

    /// <summary>Maps <c>request-token/</c>, <c>authorize/</c> and <c>verify/</c> under the configured base path.</summary>
    public static TBuilder MapLatchkeySimpleSso<TBuilder>(this TBuilder app)
        where TBuilder : IEndpointRouteBuilder => app;
}
