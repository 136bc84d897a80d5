using System.CommandLine;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Cli;

/// <summary><c>latchkey migrate</c>: brings the database schema up to date and says what changed.</summary>
internal static class MigrateCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("migrate", "Apply pending database migrations and list what was applied.");
        command.SetAction(async (_, ct) =>
        {
            // Not BuildForCommands: that migrates before returning, and this command must see what is pending.
            var builder = Host.CreateApplicationBuilder(context.Configuration);
            builder.Services.AddLatchkeyCore();
            using var host = builder.Build();
            var options = host.Services.GetRequiredService<IOptions<LatchkeyOptions>>().Value;
            var applied = await LatchkeyDatabase.MigrateAsync(host.Services, ct);
            foreach (var migration in applied)
            {
                await context.Out.WriteLineAsync($"applied {migration}");
            }

            await context.Out.WriteLineAsync(applied.Count == 0
                ? $"Database ({options.Storage.Provider}) is up to date; nothing to apply."
                : $"Applied {applied.Count} migration(s) to the {options.Storage.Provider} database.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
