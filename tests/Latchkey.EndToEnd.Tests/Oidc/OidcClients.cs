using System.Security.Cryptography;
using System.Text.Json;
using Latchkey.EndToEnd.Tests.Infrastructure;

namespace Latchkey.EndToEnd.Tests.Oidc;

/// <summary>An OIDC client as <c>latchkey clients add --json</c> prints it (the secret only for confidential clients).</summary>
internal sealed record OidcClient(string ClientId, string? ClientSecret);

/// <summary>What to register; names follow the CLI's options.</summary>
internal sealed record OidcClientSpec(
    string ClientIdPrefix,
    string Type,
    IReadOnlyList<string> Grants,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<Uri>? RedirectUris = null,
    IReadOnlyList<Uri>? PostLogoutRedirectUris = null,
    bool FirstParty = false);

/// <summary>Registers OIDC clients on a running deployment through the real <c>latchkey clients add</c>.</summary>
internal static class OidcClients
{
    public static async Task<OidcClient> AddClientAsync(this LatchkeyDeployment deployment, OidcClientSpec spec, CancellationToken cancellationToken)
    {
        // The deployment is shared by the whole assembly: every registration gets its own client id.
        var clientId = $"{spec.ClientIdPrefix}-{RandomNumberGenerator.GetHexString(8, lowercase: true)}";
        var arguments = new List<string> { "clients", "add", clientId, "--type", spec.Type };
        foreach (var uri in spec.RedirectUris ?? [])
        {
            arguments.AddRange(["--redirect-uri", uri.ToString()]);
        }

        foreach (var uri in spec.PostLogoutRedirectUris ?? [])
        {
            arguments.AddRange(["--post-logout-redirect-uri", uri.ToString()]);
        }

        foreach (var grant in spec.Grants)
        {
            arguments.AddRange(["--grant", grant]);
        }

        foreach (var scope in spec.Scopes)
        {
            arguments.AddRange(["--scope", scope]);
        }

        if (spec.FirstParty)
        {
            arguments.Add("--first-party");
        }

        arguments.Add("--json");
        var result = await deployment.RunLatchkeyAsync(arguments, standardInput: null, cancellationToken);

        var json = result.StandardOutput.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith('{'))
            ?? throw new InvalidOperationException($"No JSON line in the output of {result.Description}:\n{result.StandardOutput}");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var secret = root.TryGetProperty("client_secret", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (spec.Type == "confidential" && string.IsNullOrEmpty(secret))
        {
            throw new InvalidOperationException($"{result.Description} printed no client_secret for a confidential client.");
        }

        return new OidcClient(root.GetProperty("client_id").GetString()!, secret);
    }
}
