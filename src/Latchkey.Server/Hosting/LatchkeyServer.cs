using Latchkey.Server.Storage;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>Builds and runs the Latchkey host: the web server, or the same services for CLI commands.</summary>
public static class LatchkeyServer
{
    private const string DefaultUrl = "http://localhost:5000";

    /// <summary>The full web application: services, pipeline, endpoints and pages. Migrations and the admin bootstrap run when it starts.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        LatchkeyLoggingDefaults.AddTo(builder.Configuration);
        if (!HasListenAddress(builder.Configuration))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddLatchkey(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapLatchkey();
        return app;
    }

    /// <summary>Runs the server until shutdown; a configuration error is printed and gives exit code 1.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        try
        {
            await using var app = Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync("latchkey: invalid configuration:");
            foreach (var failure in e.Failures)
            {
                await Console.Error.WriteLineAsync($"  - {failure}");
            }

            return 1;
        }
    }

    /// <summary>
    /// The same configuration, storage, Identity and Data Protection services as the server, without
    /// the web server; options are validated and migrations applied before it is returned.
    /// </summary>
    public static IHost BuildForCommands(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        LatchkeyLoggingDefaults.AddTo(builder.Configuration);
        builder.Services.AddLatchkeyCore();
        var host = builder.Build();
        try
        {
            // Validation first, so a bad provider is reported as such and not as a connection failure.
            _ = host.Services.GetRequiredService<IOptions<LatchkeyOptions>>().Value;
            LatchkeyDatabase.MigrateAsync(host.Services, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    private static bool HasListenAddress(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"])
        || !string.IsNullOrWhiteSpace(configuration["http_ports"])
        || !string.IsNullOrWhiteSpace(configuration["https_ports"])
        || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
}
