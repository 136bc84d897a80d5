using Latchkey.Server.Hosting;
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
        return services;
    }

    /// <summary>True when <c>Latchkey:Redis</c> is set: the node is one of several sharing Redis.</summary>
    public static bool IsRedisConfigured(IServiceProvider services) =>
        !string.IsNullOrWhiteSpace(services.GetRequiredService<IOptions<LatchkeyOptions>>().Value.Redis);
}
