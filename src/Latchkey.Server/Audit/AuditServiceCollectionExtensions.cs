using Latchkey.Server.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>The audit log and its tools; part of the core services so CLI commands audit too.</summary>
    public static IServiceCollection AddLatchkeyAudit(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddLatchkeyMetrics();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>());
        services.TryAddSingleton<AuditChainKeys>();
        services.TryAddSingleton<AuditWriter>();
        services.TryAddScoped<IAuditLog, AuditLog>();
        services.TryAddScoped<AuditVerifier>();
        services.TryAddScoped<AuditQuery>();
        services.TryAddScoped<AuditArchiver>();
        // Does nothing unless Latchkey:Audit:Retention is set; CLI hosts never start it.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AuditRetentionService>());
        return services;
    }
}
