using System.CommandLine;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Cli;

/// <summary><c>latchkey migrate</c>: brings the database schema up to date.</summary>
internal static class MigrateCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("migrate", "Apply pending database migrations and list what was applied.");
        command.SetAction((_, ct) => context.WithServicesAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateAsync(ct);
            foreach (var migration in pending)
            {
                await context.Out.WriteLineAsync($"applied {migration}");
            }

            var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToList();
            await context.Out.WriteLineAsync(pending.Count == 0
                ? $"Database is up to date ({applied.Count} migrations applied)."
                : $"Applied {pending.Count} migrations; database is up to date.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
