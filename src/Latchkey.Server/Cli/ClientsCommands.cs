using System.CommandLine;
using System.Text.Json;
using Latchkey.Server.Oidc.Clients;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Cli;

/// <summary><c>latchkey clients ...</c>: OpenID Connect / OAuth 2.0 client registrations.</summary>
internal static class ClientsCommands
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(CommandContext context) => new("clients", "Manage OpenID Connect / OAuth 2.0 clients.")
    {
        Add(context),
        List(context),
        Show(context),
        Remove(context),
        RotateSecret(context),
        Update(context),
    };

    private static Command Add(CommandContext context)
    {
        var clientId = new Argument<string>("client_id") { Description = "The client's client_id (letters, digits, . _ ~ -)." };
        var type = new Option<string>("--type") { Description = "confidential (has a secret) or public (PKCE, no secret).", Required = true };
        type.AcceptOnlyFromAmong(ClientTypes.Confidential, ClientTypes.Public);
        var redirectUris = UriList("--redirect-uri", "Redirect URI for the authorization code flow (exact match); repeatable.");
        var postLogoutUris = UriList("--post-logout-redirect-uri", "Where RP-initiated logout may return to (exact match); repeatable.");
        var grants = new Option<string[]>("--grant")
        {
            Description = "authorization_code, refresh_token, client_credentials or device_code; repeatable.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        grants.AcceptOnlyFromAmong([.. ClientGrants.All]);
        var scopes = new Option<string[]>("--scope") { Description = "openid, profile, email, roles or offline_access; repeatable.", Arity = ArgumentArity.ZeroOrMore };
        scopes.AcceptOnlyFromAmong([.. ClientScopes.All]);
        var firstParty = new Option<bool>("--first-party") { Description = "Trusted client: users are not asked for consent." };
        var displayName = new Option<string?>("--display-name") { Description = "Name shown to users on the consent page." };
        var backchannel = new Option<string?>("--backchannel-logout-uri") { Description = "OpenID Connect Back-Channel Logout endpoint of the client." };
        var frontchannel = new Option<string?>("--frontchannel-logout-uri") { Description = "OpenID Connect Front-Channel Logout URL of the client." };
        var idTokenAlgorithm = new Option<string?>("--id-token-alg") { Description = "Algorithm the client's ID tokens are signed with: RS256 (default) or ES256." };
        idTokenAlgorithm.AcceptOnlyFromAmong("RS256", "ES256");
        var json = new Option<bool>("--json") { Description = "Print {\"client_id\",\"client_secret\"} as JSON (client_secret null for public clients)." };
        var command = new Command("add", "Register a client; prints a generated secret once for confidential clients.")
        {
            clientId, type, redirectUris, postLogoutUris, grants, scopes, firstParty, displayName, backchannel, frontchannel, idTokenAlgorithm, json,
        };
        var requireMfa = new Option<bool>("--require-mfa") { Description = "Users need a multi-factor session for this client (single-factor sessions are stepped up)." };
        command.Options.Add(requireMfa);
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var definition = new ClientDefinition(
                parsed.GetRequiredValue(clientId),
                parsed.GetRequiredValue(type),
                parsed.GetValue(redirectUris) ?? [],
                parsed.GetValue(postLogoutUris) ?? [],
                parsed.GetValue(grants) ?? [],
                parsed.GetValue(scopes) ?? [],
                parsed.GetValue(firstParty),
                parsed.GetValue(displayName),
                parsed.GetValue(backchannel),
                parsed.GetValue(frontchannel),
                parsed.GetValue(idTokenAlgorithm));
            var created = await Guarded(() => Registry(services).CreateAsync(definition, ct));
            if (parsed.GetValue(requireMfa))
            {
                await services.GetRequiredService<Latchkey.Server.Accounts.AppAccess.AppMfaSettings>().SetClientAsync(definition.ClientId, requireMfa: true, ct);
            }

            await WriteSecretAsync(context, created, parsed.GetValue(json), "Created client");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(CommandContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array (never secrets)." };
        var command = new Command("list", "List clients.") { json };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var clients = await Registry(services).ListAsync(ct);
            if (parsed.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(clients.Select(ToJson), Json));
                return ExitCodes.Ok;
            }

            var table = new TextTable("CLIENT_ID", "TYPE", "GRANTS", "SCOPES", "FIRST-PARTY", "REDIRECT-URIS");
            foreach (var client in clients)
            {
                table.Add(
                    client.ClientId,
                    client.Type,
                    string.Join(",", client.Grants),
                    string.Join(",", client.Scopes),
                    client.Settings.FirstParty ? "yes" : "no",
                    string.Join(",", client.RedirectUris));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(CommandContext context)
    {
        var clientId = new Argument<string>("client_id") { Description = "The client's client_id." };
        var json = new Option<bool>("--json") { Description = "Print JSON (never the secret)." };
        var command = new Command("show", "Show a client's settings (never its secret).") { clientId, json };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var id = parsed.GetRequiredValue(clientId);
            var client = await Registry(services).GetAsync(id, ct) ?? throw UnknownClient(id);
            if (parsed.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(ToJson(client), Json));
                return ExitCodes.Ok;
            }

            var output = context.Out;
            await output.WriteLineAsync($"Client ID:      {client.ClientId}");
            await output.WriteLineAsync($"Type:           {client.Type}{(client.RequiresPkce ? " (PKCE required)" : string.Empty)}");
            await output.WriteLineAsync($"Display name:   {client.DisplayName ?? "-"}");
            await output.WriteLineAsync($"First party:    {(client.Settings.FirstParty ? "yes (no consent)" : "no (consent asked)")}");
            await output.WriteLineAsync($"Grants:         {string.Join(" ", client.Grants)}");
            await output.WriteLineAsync($"Scopes:         {string.Join(" ", client.Scopes)}");
            await WriteListAsync(output, "Redirect URIs:", client.RedirectUris);
            await WriteListAsync(output, "Post-logout redirect URIs:", client.PostLogoutRedirectUris);
            await output.WriteLineAsync($"Back-channel logout:  {client.Settings.BackchannelLogoutUri ?? "-"}");
            await output.WriteLineAsync($"Front-channel logout: {client.Settings.FrontchannelLogoutUri ?? "-"}");
            await output.WriteLineAsync($"ID token algorithm:   {client.Settings.IdTokenSignedResponseAlg ?? "RS256"}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove(CommandContext context)
    {
        var clientId = new Argument<string>("client_id") { Description = "The client's client_id." };
        var command = new Command("remove", "Delete a client with its authorizations and tokens.") { clientId };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var id = parsed.GetRequiredValue(clientId);
            if (!await Registry(services).RemoveAsync(id, ct))
            {
                throw UnknownClient(id);
            }

            await context.Out.WriteLineAsync($"Removed client '{id}'.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command RotateSecret(CommandContext context)
    {
        var clientId = new Argument<string>("client_id") { Description = "The client's client_id." };
        var json = new Option<bool>("--json") { Description = "Print {\"client_id\",\"client_secret\"} as JSON." };
        var command = new Command("rotate-secret", "Replace a confidential client's secret (the old one stops working now); prints it once.") { clientId, json };
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var id = parsed.GetRequiredValue(clientId);
            var rotated = await Guarded(() => Registry(services).RotateSecretAsync(id, ct)) ?? throw UnknownClient(id);
            await WriteSecretAsync(context, rotated, parsed.GetValue(json), "New secret for client");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>clients update CLIENT_ID --require-mfa true|false</c>.</summary>
    private static Command Update(CommandContext context)
    {
        var clientId = new Argument<string>("client_id") { Description = "The client's client_id." };
        var requireMfa = new Option<bool?>("--require-mfa") { Description = "true: users need a multi-factor session for this client; false: the user's and global policy decide." };
        var command = new Command("update", "Change a client's settings.") { clientId, requireMfa };
        var maxSessionAge = ClientSessionOptions.Add(command);
        command.SetAction((parsed, ct) => context.WithServicesAsync(async services =>
        {
            var id = parsed.GetRequiredValue(clientId);
            if (await ClientSessionOptions.ApplyAsync(services, id, parsed, maxSessionAge, ct) is { } sessionChange)
            {
                await context.Out.WriteLineAsync($"Client '{id}': {sessionChange}.");
                if (parsed.GetValue(requireMfa) is null)
                {
                    return ExitCodes.Ok;
                }
            }

            if (parsed.GetValue(requireMfa) is not { } require)
            {
                throw new CommandFailedException("nothing to update; give --require-mfa true|false or --max-session-age.");
            }

            if (!await services.GetRequiredService<Latchkey.Server.Accounts.AppAccess.AppMfaSettings>().SetClientAsync(id, require, ct))
            {
                throw UnknownClient(id);
            }

            await context.Out.WriteLineAsync($"Client '{id}' {(require ? "requires" : "no longer requires")} MFA.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Option<string[]> UriList(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static async Task WriteListAsync(TextWriter output, string heading, IReadOnlyList<string> values)
    {
        await output.WriteLineAsync(heading);
        foreach (var value in values)
        {
            await output.WriteLineAsync($"  {value}");
        }
    }

    private static async Task WriteSecretAsync(CommandContext context, CreatedClient created, bool json, string heading)
    {
        if (json)
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(new SecretJson(created.ClientId, created.ClientSecret), Json));
            return;
        }

        await context.Out.WriteLineAsync($"{heading} '{created.ClientId}'.");
        if (created.ClientSecret is { } secret)
        {
            await context.Out.WriteLineAsync($"Client secret: {secret}");
            await context.Console.Error.WriteLineAsync("The client secret is shown only now; store it in the client's configuration.");
        }
    }

    /// <summary>Validation failures are operator errors: one line on stderr, exit code 1.</summary>
    private static async Task<T> Guarded<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (ClientValidationException e)
        {
            throw new CommandFailedException(e.Message);
        }
    }

    private static ClientJson ToJson(ClientSummary c) => new(
        c.ClientId, c.Type, c.DisplayName, c.RedirectUris, c.PostLogoutRedirectUris, c.Grants, c.Scopes,
        c.Settings.FirstParty, c.RequiresPkce, c.Settings.BackchannelLogoutUri, c.Settings.FrontchannelLogoutUri,
        c.Settings.IdTokenSignedResponseAlg ?? "RS256");

    private static ClientRegistry Registry(IServiceProvider services) => services.GetRequiredService<ClientRegistry>();

    private static CommandFailedException UnknownClient(string clientId) => new($"no client with client_id '{clientId}'.");

    private sealed record SecretJson(string ClientId, string? ClientSecret);

    private sealed record ClientJson(
        string ClientId,
        string Type,
        string? DisplayName,
        IReadOnlyList<string> RedirectUris,
        IReadOnlyList<string> PostLogoutRedirectUris,
        IReadOnlyList<string> Grants,
        IReadOnlyList<string> Scopes,
        bool FirstParty,
        bool RequirePkce,
        string? BackchannelLogoutUri,
        string? FrontchannelLogoutUri,
        string IdTokenSignedResponseAlg);
}
