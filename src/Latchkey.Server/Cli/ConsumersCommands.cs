using System.CommandLine;
using System.Globalization;
using Latchkey.Server.Consumers;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Cli;

/// <summary><c>latchkey consumers ...</c>: simple-sso client registrations and their key pairs.</summary>
internal static class ConsumersCommands
{
    private static readonly TimeSpan DefaultOverlap = TimeSpan.FromHours(24);

    public static Command Create(CommandContext context) => new("consumers", "Manage simple-sso consumers (client sites).")
    {
        Add(context),
        List(context),
        Show(context),
        RotateKeys(context),
        Remove(context),
        Update(context),
    };

    private static Command Add(CommandContext context)
    {
        var name = new Argument<string>("name") { Description = "The consumer's name." };
        var origins = new Option<string[]>("--redirect-origin")
        {
            Description = "Origin (scheme://host[:port]) the consumer may redirect to after login; repeatable.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var json = JsonOption();
        var requireMfa = new Option<bool>("--require-mfa") { Description = "Users need a multi-factor session for this consumer (single-factor sessions are stepped up)." };
        var command = new Command("add", "Register a consumer; prints its key pair once.") { name, origins, json, requireMfa };
        var (maxSessionAge, backChannelUrl) = ConsumerSessionOptions.Add(command);
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var created = await Registry(services).CreateAsync(parsed.GetRequiredValue(name), parsed.GetRequiredValue(origins), ct);
            await ConsumerSessionOptions.ApplyAsync(services, created.Name, parsed, maxSessionAge, backChannelUrl, ct);
            if (parsed.GetValue(requireMfa))
            {
                await services.GetRequiredService<Latchkey.Server.Accounts.AppAccess.AppMfaSettings>().SetConsumerAsync(created.Name, requireMfa: true, ct);
            }

            await WriteKeysAsync(context, created, parsed.GetValue(json), "Created consumer");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(CommandContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array (public key parts only)." };
        var command = new Command("list", "List consumers.") { json };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            if (parsed.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Consumers(await Registry(services).ListAsync(ct), Now(services)));
                return ExitCodes.Ok;
            }

            var table = new TextTable("NAME", "ORIGINS", "LIVE-KEYS", "STAFF", "SUPERUSER", "CREATED");
            var now = Now(services);
            foreach (var consumer in await Registry(services).ListAsync(ct))
            {
                table.Add(
                    consumer.Name,
                    string.Join(",", consumer.RedirectOrigins),
                    consumer.Keys.Count(k => k.ExpiresAt is null || k.ExpiresAt > now).ToString(CultureInfo.InvariantCulture),
                    YesNo(consumer.GrantStaff),
                    YesNo(consumer.GrantSuperuser),
                    Format(consumer.CreatedAt));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(CommandContext context)
    {
        var name = new Argument<string>("name") { Description = "The consumer's name." };
        var json = new Option<bool>("--json") { Description = "Print JSON (public key parts only)." };
        var command = new Command("show", "Show a consumer's origins, grants and public keys (never private keys).") { name, json };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var consumerName = parsed.GetRequiredValue(name);
            var consumer = await Registry(services).GetAsync(consumerName, ct) ?? throw UnknownConsumer(consumerName);
            var now = Now(services);
            if (parsed.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Consumer(consumer, now));
                return ExitCodes.Ok;
            }

            var output = context.Out;
            await output.WriteLineAsync($"Name:       {consumer.Name}");
            await output.WriteLineAsync($"Created:    {Format(consumer.CreatedAt)}");
            await output.WriteLineAsync($"is_staff:   {YesNo(consumer.GrantStaff)}");
            await output.WriteLineAsync($"superuser:  {YesNo(consumer.GrantSuperuser)}");
            await output.WriteLineAsync("Origins:");
            foreach (var origin in consumer.RedirectOrigins)
            {
                await output.WriteLineAsync($"  {origin}");
            }

            await output.WriteLineAsync("Keys:");
            var table = new TextTable("  PUBLIC-KEY", "CREATED", "EXPIRES", "STATUS");
            foreach (var key in consumer.Keys.OrderBy(k => k.CreatedAt))
            {
                var live = key.ExpiresAt is null || key.ExpiresAt > now;
                table.Add("  " + key.PublicKey, Format(key.CreatedAt), key.ExpiresAt is { } expires ? Format(expires) : "never", live ? "live" : "expired");
            }

            table.WriteTo(output);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command RotateKeys(CommandContext context)
    {
        var name = new Argument<string>("name") { Description = "The consumer's name." };
        var overlap = new Option<TimeSpan>("--overlap")
        {
            Description = "How long the current keys keep working: 30m, 24h, 7d or a TimeSpan like 1.00:00:00 (default 24h).",
            DefaultValueFactory = _ => DefaultOverlap,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
                if (DurationParser.TryParse(text, out var duration))
                {
                    return duration;
                }

                result.AddError($"'{text}' is not a duration; use e.g. 30m, 24h, 7d or 1.00:00:00.");
                return default;
            },
        };
        var json = JsonOption();
        var command = new Command("rotate-keys", "Issue a new key pair; current pairs keep working for the overlap. Prints the new pair once.")
        {
            name, overlap, json,
        };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var consumerName = parsed.GetRequiredValue(name);
            var registry = Registry(services);
            var rotated = await registry.RotateKeysAsync(consumerName, parsed.GetValue(overlap), ct) ?? throw UnknownConsumer(consumerName);
            await WriteKeysAsync(context, rotated, parsed.GetValue(json), "Rotated keys of consumer");
            var now = Now(services);
            var lastOldKeyExpiry = (await registry.GetAsync(consumerName, ct))?.Keys
                .Where(k => k.PublicKey != rotated.PublicKey && k.ExpiresAt > now)
                .Max(k => k.ExpiresAt);
            await context.Console.Error.WriteLineAsync(lastOldKeyExpiry is { } end
                ? $"Previous keys keep working until {Format(end)}."
                : "Previous keys no longer work.");

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove(CommandContext context)
    {
        var name = new Argument<string>("name") { Description = "The consumer's name." };
        var command = new Command("remove", "Delete a consumer, its keys and its pending logins.") { name };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var consumerName = parsed.GetRequiredValue(name);
            if (!await Registry(services).RemoveAsync(consumerName, ct))
            {
                throw UnknownConsumer(consumerName);
            }

            await context.Out.WriteLineAsync($"Removed consumer '{consumerName}'.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>consumers update NAME --require-mfa true|false</c>: settings that do not touch keys or origins.</summary>
    private static Command Update(CommandContext context)
    {
        var name = new Argument<string>("name") { Description = "The consumer's name." };
        var requireMfa = new Option<bool?>("--require-mfa") { Description = "true: users need a multi-factor session for this consumer; false: the user's and global policy decide." };
        var command = new Command("update", "Change a consumer's settings.") { name, requireMfa };
        var (maxSessionAge, backChannelUrl) = ConsumerSessionOptions.Add(command);
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var consumerName = parsed.GetRequiredValue(name);
            if (await ConsumerSessionOptions.ApplyAsync(services, consumerName, parsed, maxSessionAge, backChannelUrl, ct) is { } sessionChange)
            {
                await context.Out.WriteLineAsync($"Consumer '{consumerName}': {sessionChange}.");
                if (parsed.GetValue(requireMfa) is null)
                {
                    return ExitCodes.Ok;
                }
            }

            if (parsed.GetValue(requireMfa) is not { } require)
            {
                throw new CommandFailedException("nothing to update; give --require-mfa true|false, --max-session-age or --backchannel-logout-url.");
            }

            if (!await services.GetRequiredService<Latchkey.Server.Accounts.AppAccess.AppMfaSettings>().SetConsumerAsync(consumerName, require, ct))
            {
                throw UnknownConsumer(consumerName);
            }

            await context.Out.WriteLineAsync($"Consumer '{consumerName}' {(require ? "requires" : "no longer requires")} MFA.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task WriteKeysAsync(CommandContext context, CreatedConsumer keys, bool json, string heading)
    {
        if (json)
        {
            await context.Out.WriteLineAsync(CliJson.Keys(keys));
            return;
        }

        await context.Out.WriteLineAsync($"{heading} '{keys.Name}'.");
        await context.Out.WriteLineAsync($"Public key:  {keys.PublicKey}");
        await context.Out.WriteLineAsync($"Private key: {keys.PrivateKey}");
        await context.Console.Error.WriteLineAsync("The private key is shown only now; store it in the client's configuration.");
    }

    private static Option<bool> JsonOption() => new("--json")
    {
        Description = "Print {\"name\",\"public_key\",\"private_key\"} as JSON.",
    };

    private static ConsumerRegistry Registry(IServiceProvider services) => services.GetRequiredService<ConsumerRegistry>();

    private static DateTimeOffset Now(IServiceProvider services) => (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();

    private static CommandFailedException UnknownConsumer(string name) => new($"no consumer named '{name}'.");

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string YesNo(bool value) => value ? "yes" : "no";
}
