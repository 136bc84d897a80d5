using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Latchkey.Server.Cli;

/// <summary>What every command action needs: where to write, and a way to reach the server's services.</summary>
internal sealed class CommandContext(CliConsole console, Func<string[], IHost> buildHost, string[] configuration)
{
    public CliConsole Console { get; } = console;

    public TextWriter Out => Console.Out;

    /// <summary>Configuration switches (and logging defaults) for the host, as on the server's command line.</summary>
    public string[] Configuration { get; } = configuration;

    /// <summary>
    /// Builds the host only when a command actually runs (so <c>--help</c> and usage errors touch no
    /// database) and gives the action a fresh DI scope.
    /// </summary>
    public async Task<int> WithServicesAsync(Func<IServiceProvider, Task<int>> action)
    {
        using var host = buildHost(Configuration);
        await using var scope = host.Services.CreateAsyncScope();
        using var actor = Audit.AuditAmbientActor.Use(Audit.AuditActors.Cli);
        return await action(scope.ServiceProvider);
    }

    /// <summary>Reads a secret as one line from standard input, never from the command line.</summary>
    public string ReadSecretLine(string what)
    {
        var line = Console.ReadSecretLine($"{char.ToUpperInvariant(what[0])}{what[1..]}: ");
        if (string.IsNullOrEmpty(line))
        {
            throw new CommandFailedException($"expected the {what} as one line on standard input.");
        }

        return line;
    }
}
