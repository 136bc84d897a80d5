using System.CommandLine;
using Latchkey.Server.Consumers;
using Latchkey.Server.Hosting;
using Microsoft.Extensions.Hosting;

namespace Latchkey.Server.Cli;

/// <summary>
/// The <c>latchkey</c> executable: with no command (or <c>serve</c>) it runs the server, otherwise it
/// runs an administration command against the same configuration and database.
/// </summary>
public static class LatchkeyCli
{
    // Decided before System.CommandLine sees anything, so ASP.NET Core switches such as
    // "--urls http://127.0.0.1:5005" never reach a parser that would reject them.
    private static readonly HashSet<string> CommandNames = ["serve", "migrate", "users", "consumers", "clients", "keys", "audit", "--help", "-h", "-?", "--version"];

    // Host logs go to stderr and only from warnings up, so stdout carries only command output
    // (scripts parse "consumers add --json"). Given first so an operator's own switches win.
    private static readonly string[] CommandLogging =
    [
        "--Logging:Console:LogToStandardErrorThreshold=Trace",
        "--Logging:LogLevel:Default=Warning",
    ];

    public static Task<int> RunAsync(string[] args) =>
        RunAsync(args, CliConsole.System, LatchkeyServer.BuildForCommands, CancellationToken.None);

    internal static async Task<int> RunAsync(string[] args, CliConsole console, Func<string[], IHost> buildHost, CancellationToken ct)
    {
        if (args.Length == 0 || !CommandNames.Contains(args[0]))
        {
            return await LatchkeyServer.ServeAsync(args);
        }

        if (args[0] == "serve" && !args.Skip(1).Any(a => a is "--help" or "-h" or "-?"))
        {
            return await LatchkeyServer.ServeAsync(args[1..]);
        }

        var (tokens, configuration) = ConfigurationArguments.Split(args);
        var context = new CommandContext(console, buildHost, [.. CommandLogging, .. configuration]);
        var root = new RootCommand(
            "Latchkey single sign-on server. Run with no command (or 'serve') to start the server.\n"
            + "Configuration switches such as --Latchkey:DataDirectory=/srv/latchkey may follow any command;\n"
            + "environment variables (Latchkey__DataDirectory) and appsettings.json apply as for the server.")
        {
            new Command("serve", "Run the server (the default). ASP.NET Core switches such as --urls pass through."),
            MigrateCommand.Create(context),
            UsersCommands.Create(context),
            ConsumersCommands.Create(context),
            ClientsCommands.Create(context),
            KeysCommands.Create(context),
            AuditCommands.Create(context),
        };

        var parsed = root.Parse(tokens);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync($"latchkey: {error.Message}");
            }

            await console.Error.WriteLineAsync($"Run 'latchkey {string.Join(' ', CommandPath(parsed))} --help' for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(
                new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false },
                ct);
        }
        catch (CommandFailedException e)
        {
            await console.Error.WriteLineAsync($"latchkey: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (ConsumerValidationException e)
        {
            await console.Error.WriteLineAsync($"latchkey: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            await console.Error.WriteLineAsync($"latchkey: invalid configuration: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (System.Data.Common.DbException e)
        {
            // An unreachable or misconfigured database is an operator problem, not a bug: no stack trace.
            await console.Error.WriteLineAsync($"latchkey: database error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (System.CommandLine.Parsing.SymbolResult? result = parsed.CommandResult; result is System.CommandLine.Parsing.CommandResult command && command.Command is not RootCommand; result = result.Parent)
        {
            names.Push(command.Command.Name);
        }

        return names;
    }
}
