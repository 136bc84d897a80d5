using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting.RateLimiting;

/// <summary>
/// ASP.NET Core rate limiting with Latchkey's policies. Every limited request takes a permit from its client address's
/// budget and, when it names an account, from that account's budget (a chained limiter): one address cannot spray many
/// accounts, many addresses cannot hammer one account.
/// </summary>
public static class LatchkeyRateLimiting
{
    public static IServiceCollection AddLatchkeyRateLimiting(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, LatchkeyRateLimitOptionsValidator>());
        services.TryAddSingleton<IRateLimitPartitionFactory, InMemoryRateLimitPartitionFactory>();
        services.TryAddSingleton<RateLimitRejection>();

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<IServiceProvider>((limiter, provider) =>
            {
                // Resolved lazily: a cluster replaces the factory after this registration.
                var partitions = new Lazy<IRateLimitPartitionFactory>(provider.GetRequiredService<IRateLimitPartitionFactory>);
                var latchkey = provider.GetRequiredService<IOptions<LatchkeyOptions>>();
                var rejection = provider.GetRequiredService<RateLimitRejection>();

                limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
                limiter.OnRejected = rejection.OnRejectedAsync;
                limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                    PartitionedRateLimiter.Create<HttpContext, string>(http =>
                        RateLimitTarget.Of(http) is { } target
                            ? Partition(partitions.Value, $"{target.Policy}:ip:{target.ClientKey}", latchkey.Value.RateLimits.For(target.Policy).PerIp)
                            : RateLimitPartition.GetNoLimiter("")),
                    PartitionedRateLimiter.Create<HttpContext, string>(http =>
                        RateLimitTarget.Of(http) is { AccountKey: { } account } target
                            ? Partition(partitions.Value, $"{target.Policy}:account:{account}", latchkey.Value.RateLimits.For(target.Policy).PerAccount)
                            : RateLimitPartition.GetNoLimiter("")));

                // The names exist so endpoints can opt in with [EnableRateLimiting(...)]; the global limiter above does the
                // counting for them (it needs both the address and the account, one policy partition holds only one key).
                foreach (var name in RateLimitPolicies.All)
                {
                    limiter.AddPolicy(name, _ => RateLimitPartition.GetNoLimiter(""));
                }
            });

        return services;
    }

    /// <summary>After routing, before authentication (see <see cref="RateLimitTargetMiddleware"/>).</summary>
    public static IApplicationBuilder UseLatchkeyRateLimiting(this IApplicationBuilder app)
    {
        app.UseMiddleware<RateLimitTargetMiddleware>();
        app.UseRateLimiter();
        return app;
    }

    private static RateLimitPartition<string> Partition(IRateLimitPartitionFactory factory, string key, RateLimitRule rule) =>
        // The budget is part of the key so a changed limit gets a fresh counter instead of a cached limiter with the old one.
        factory.FixedWindow($"{key}:{rule.PermitLimit}/{rule.Window.TotalMilliseconds}", rule.PermitLimit, rule.Window);
}
