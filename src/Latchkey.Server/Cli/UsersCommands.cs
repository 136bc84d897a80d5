using System.CommandLine;
using Latchkey.Server.Pages.Admin;

namespace Latchkey.Server.Cli;

/// <summary><c>latchkey users ...</c>: account administration without the web UI (e.g. the first admin).</summary>
internal static class UsersCommands
{
    public static Command Create(CommandContext context) => new("users", "Manage user accounts.")
    {
        Add(context),
        List(context),
        SetActive(context, "disable", active: false, "Disable a user and end their sessions."),
        SetActive(context, "enable", active: true, "Enable a disabled user."),
        SetPassword(context),
        Unlock(context),
    };

    private static Command Add(CommandContext context)
    {
        var userName = new Argument<string>("username") { Description = "The user's username." };
        var email = new Option<string>("--email") { Description = "E-mail address.", Required = true };
        var firstName = new Option<string>("--first-name") { Description = "Given name." };
        var lastName = new Option<string>("--last-name") { Description = "Family name." };
        var passwordStdin = PasswordStdinOption();
        var admin = new Option<bool>("--admin") { Description = "Grant the admin role." };
        var command = new Command("add", "Create a user; the password is read as one line from standard input.")
        {
            userName, email, firstName, lastName, passwordStdin, admin,
        };
        RequireFlag(command, passwordStdin);
        command.SetAction((parsed, ct) =>
        {
            var name = parsed.GetRequiredValue(userName);
            var password = context.ReadSecretLine("password");
            return context.WithServicesAsync(async services =>
            {
                var request = new NewUser(
                    name,
                    parsed.GetRequiredValue(email),
                    parsed.GetValue(firstName) ?? "",
                    parsed.GetValue(lastName) ?? "",
                    parsed.GetValue(admin));
                var result = await UserAdministration.From(services).CreateAsync(request, password, ct);
                Check(result, $"cannot create user '{name}'");
                await context.Out.WriteLineAsync($"Created user '{name}'{(request.IsAdmin ? " (admin)" : "")}.");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command List(CommandContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array." };
        var command = new Command("list", "List users.") { json };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var users = await UserAdministration.From(services).ListAsync(ct);
            if (parsed.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Users(users));
                return ExitCodes.Ok;
            }

            var table = new TextTable("USERNAME", "EMAIL", "NAME", "ACTIVE", "ADMIN", "LOCKED-OUT");
            foreach (var user in users)
            {
                table.Add(user.UserName, user.Email, user.FullName, YesNo(user.IsActive), YesNo(user.IsAdmin), YesNo(user.IsLockedOut));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command SetActive(CommandContext context, string name, bool active, string description)
    {
        var userName = new Argument<string>("username") { Description = "The user's username." };
        var command = new Command(name, description) { userName };
        command.SetAction(parsed => context.WithServicesAsync(async services =>
        {
            var user = parsed.GetRequiredValue(userName);
            Check(await UserAdministration.From(services).SetActiveAsync(user, active), $"cannot {name} user '{user}'");
            await context.Out.WriteLineAsync($"User '{user}' {(active ? "enabled" : "disabled")}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command SetPassword(CommandContext context)
    {
        var userName = new Argument<string>("username") { Description = "The user's username." };
        var passwordStdin = PasswordStdinOption();
        var command = new Command("set-password", "Set a user's password, read as one line from standard input.")
        {
            userName, passwordStdin,
        };
        RequireFlag(command, passwordStdin);
        command.SetAction(parsed =>
        {
            var user = parsed.GetRequiredValue(userName);
            var password = context.ReadSecretLine("password");
            return context.WithServicesAsync(async services =>
            {
                Check(await UserAdministration.From(services).SetPasswordAsync(user, password), $"cannot set the password of '{user}'");
                await context.Out.WriteLineAsync($"Password of '{user}' changed.");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command Unlock(CommandContext context)
    {
        var userName = new Argument<string>("username") { Description = "The user's username." };
        var command = new Command("unlock", "End a user's lockout after failed sign-ins.") { userName };
        command.SetAction(parsed => context.WithServicesAsync(async services =>
        {
            var user = parsed.GetRequiredValue(userName);
            Check(await UserAdministration.From(services).UnlockAsync(user), $"cannot unlock user '{user}'");
            await context.Out.WriteLineAsync($"User '{user}' unlocked.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    // Required so that a password can never be given on the command line by mistake: there is no
    // --password option at all, and forgetting this one is a usage error rather than a hang on stdin.
    private static Option<bool> PasswordStdinOption() => new("--password-stdin")
    {
        Description = "Read the password as one line from standard input (required).",
    };

    // Option.Required is satisfied by a flag's implicit default, so presence is checked here.
    private static void RequireFlag(Command command, Option<bool> flag) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(flag) is null || !result.GetValue(flag))
            {
                result.AddError($"Option '{flag.Name}' is required.");
            }
        });

    private static void Check(AdminResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new CommandFailedException($"{what}: {result.Error}");
        }
    }

    private static string YesNo(bool value) => value ? "yes" : "no";
}
