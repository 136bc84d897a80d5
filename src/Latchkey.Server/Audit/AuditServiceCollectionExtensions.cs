using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latchkey.Server.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>The audit log and its tools; part of the core services so CLI commands audit too.</summary>
    public static IServiceCollection AddLatchkeyAudit(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.TryAddSingleton<AuditChainKeys>();
        services.TryAddSingleton<AuditWriter>();
        services.TryAddScoped<IAuditLog, AuditLog>();
        services.TryAddScoped<AuditVerifier>();
        return services;
    }
}
