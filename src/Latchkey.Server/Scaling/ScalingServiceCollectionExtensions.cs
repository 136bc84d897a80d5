using Latchkey.Server.Hosting;
using Latchkey.Server.Hosting.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Scaling;

/// <summary>Registration of the cluster bus; called from <c>AddLatchkeyCore</c> so CLI commands publish too.</summary>
public static class ScalingServiceCollectionExtensions
{
    public static IServiceCollection AddLatchkeyScaling(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, RedisOptionsValidator>());
        services.TryAddSingleton<LatchkeyRedisConnection>();
        services.TryAddSingleton<InProcessClusterBus>();
        services.TryAddSingleton<RedisClusterBus>();

        // Chosen when first resolved, so configuration added late (tests, command-line switches) is honoured.
        services.TryAddSingleton<IClusterBus>(sp => IsRedisConfigured(sp)
            ? sp.GetRequiredService<RedisClusterBus>()
            : sp.GetRequiredService<InProcessClusterBus>());

        // Shared counters when Redis is configured; Replace, so it holds whether rate limiting registered its default before or after.
        services.TryAddSingleton<InMemoryRateLimitPartitionFactory>();
        services.TryAddSingleton<RedisRateLimitPartitionFactory>();
        services.Replace(ServiceDescriptor.Singleton<IRateLimitPartitionFactory>(sp => IsRedisConfigured(sp)
            ? sp.GetRequiredService<RedisRateLimitPartitionFactory>()
            : sp.GetRequiredService<InMemoryRateLimitPartitionFactory>()));

        // Only hosts that run hosted services (the web server) have caches to keep current; CLI commands just publish.
        services.AddHostedService<ClusterCacheInvalidation>();
        return services;
    }

    /// <summary>True when <c>Latchkey:Redis</c> is set: the node is one of several sharing Redis.</summary>
    public static bool IsRedisConfigured(IServiceProvider services) =>
        !string.IsNullOrWhiteSpace(services.GetRequiredService<IOptions<LatchkeyOptions>>().Value.Redis);
}
