namespace Latchkey.Server.Hosting;

/// <summary>
/// The log levels of <c>appsettings.json</c> as the lowest-priority configuration source, so they hold wherever the
/// server runs from: a published binary started from another working directory (systemd, containers) finds no
/// <c>appsettings.json</c> in its content root and would otherwise log every SQL command at Information. Any
/// <c>appsettings.json</c>, environment variable or command-line switch still overrides them.
/// </summary>
public static class LatchkeyLoggingDefaults
{
    public static IReadOnlyDictionary<string, string?> Values { get; } = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
    };

    public static void AddTo(IConfigurationManager configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = Values });
    }
}
