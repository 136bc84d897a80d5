using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Latchkey.Server.Telemetry;

/// <summary>OpenTelemetry traces and metrics, the Prometheus endpoint, health endpoints and the JSON log format.</summary>
public static class TelemetryRegistration
{
    public const string MetricsPath = "/metrics";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>The meter, usable without the web server (audit records feed it, CLI included).</summary>
    public static IServiceCollection AddLatchkeyMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<LatchkeyMetrics>();
        return services;
    }

    public static IServiceCollection AddLatchkeyTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddLatchkeyMetrics();
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>());
        services.AddOptions<LoggingFormatOptions>().BindConfiguration(LoggingFormatOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoggingFormatOptions>, LoggingFormatOptionsValidator>());

        services.AddHealthChecks().AddCheck<DatabaseReadyHealthCheck>("database", tags: ["ready"]);

        // Read once here because exporters are chosen at registration; the validator reports bad values at startup.
        var telemetry = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = Uri.TryCreate(telemetry.OtlpEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https" ? endpoint : null;
        var builder = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("latchkey"));
        builder.WithMetrics(metrics =>
        {
            metrics.AddMeter(LatchkeyMetrics.MeterName).AddAspNetCoreInstrumentation();
            if (telemetry.PrometheusEnabled)
            {
                metrics.AddPrometheusExporter();
            }

            if (otlp is not null)
            {
                metrics.AddOtlpExporter(o => o.Endpoint = otlp);
            }
        });

        // Traces cost per request; without a collector to send them to they are not recorded at all.
        if (otlp is not null)
        {
            builder.WithTracing(tracing => tracing
                .AddSource(LatchkeyMetrics.ActivitySourceName)
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = http => !IsInfrastructurePath(http.Request.Path);
                    // Query strings of /sso/authorize and /connect/* carry bearer values: never export them.
                    o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null);
                })
                .AddOtlpExporter(o => o.Endpoint = otlp));
        }

        var format = configuration[$"{LoggingFormatOptions.SectionName}:Format"];
        services.AddLogging(logging =>
        {
            if (string.Equals(format?.Trim(), "json", StringComparison.OrdinalIgnoreCase))
            {
                logging.AddJsonConsole(json =>
                {
                    json.UseUtcTimestamp = true;
                    json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
                });
            }

            // The hosting diagnostics' "Request starting ... ?token=..." lines would put one-time bearer values
            // (simple-sso request tokens, OIDC codes) into the log at Information; they stay at Warning.
            logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

            // OpenIddict's dispatcher logs each extracted request at Information with most secrets masked but the
            // PKCE code_verifier (among others) in clear; its warnings and errors still come through.
            logging.AddFilter("OpenIddict.Server.OpenIddictServerDispatcher", LogLevel.Warning);
            logging.AddFilter("OpenIddict.Validation.OpenIddictValidationDispatcher", LogLevel.Warning);
        });

        return services;
    }

    public static WebApplication MapLatchkeyTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteHealthAsync });

        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.PrometheusEnabled)
        {
            app.UseMiddleware<MetricsAccessMiddleware>();
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }

        return app;
    }

    private static bool IsInfrastructurePath(PathString path) =>
        path.StartsWithSegments(MetricsPath, StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}

/// <summary>Answers 404 on <c>/metrics</c> to clients outside <see cref="TelemetryOptions.MetricsAllowedNetworks"/>.</summary>
internal sealed class MetricsAccessMiddleware(RequestDelegate next, IOptions<TelemetryOptions> options)
{
    private readonly IReadOnlyList<System.Net.IPNetwork> _allowed = options.Value.ParsedNetworks();

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(TelemetryRegistration.MetricsPath, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var address = context.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }

        if (address is not null && _allowed.Any(network => network.Contains(address)))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
