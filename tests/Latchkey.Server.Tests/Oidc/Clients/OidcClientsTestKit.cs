using System.Net;
using System.Text.Json;
using Latchkey.Server.Oidc.Clients;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Tests.Oidc.Clients;

/// <summary>Registers clients through the real <see cref="ClientRegistry"/> and calls the token/JWKS endpoints.</summary>
internal static class OidcClientsTestKit
{
    public static async Task<CreatedClient> AddMachineClientAsync(OidcTestHost host, string clientId) =>
        await host.Factory.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().CreateAsync(
            new ClientDefinition(clientId, ClientTypes.Confidential, [], [], [ClientGrants.ClientCredentials], ["profile"]),
            CancellationToken.None));

    public static async Task<TestClient> AddWebClientAsync(OidcTestHost host, string clientId, string? idTokenAlgorithm = null)
    {
        var redirect = $"https://{clientId}.example/callback";
        var signedOut = $"https://{clientId}.example/signed-out";
        var created = await host.Factory.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().CreateAsync(
            new ClientDefinition(
                clientId,
                ClientTypes.Confidential,
                [redirect],
                [signedOut],
                [ClientGrants.AuthorizationCode, ClientGrants.RefreshToken],
                ["openid", "profile", "email", "roles", "offline_access"],
                FirstParty: true,
                IdTokenSignedResponseAlg: idTokenAlgorithm),
            CancellationToken.None));
        return new TestClient(clientId, created.ClientSecret, redirect, signedOut);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body)> ClientCredentialsAsync(OidcTestHost host, string clientId, string secret) =>
        host.PostAsync("/connect/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        });

    public static async Task<JsonWebKeySet> JwksAsync(OidcTestHost host)
    {
        using var http = host.Factory.CreateClient();
        return new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks"));
    }
}
