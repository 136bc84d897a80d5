using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>A registered test client (secret null for public clients).</summary>
public sealed record TestClient(string ClientId, string? Secret, string RedirectUri, string PostLogoutRedirectUri);

/// <summary>A PKCE verifier and its S256 challenge.</summary>
public sealed record Pkce(string Verifier, string Challenge)
{
    public static Pkce Create()
    {
        var verifier = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        return new Pkce(verifier, Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// The real Latchkey app plus what an OIDC client does: registers clients through OpenIddict's manager
/// (until the clients CLI exists), drives /connect/authorize with a browser-like client and calls the
/// back-channel endpoints with a plain HTTP client.
/// </summary>
public sealed class OidcTestHost : IAsyncDisposable
{
    public const string UserName = "alice";
    public const string Password = "correct horse battery";

    public OidcTestHost(LatchkeyTestStorage storage = LatchkeyTestStorage.Sqlite, bool useFakeTime = false)
    {
        Factory = LatchkeyServerFactory.For(storage, useFakeTime).WithSetting("Latchkey:Oidc:RequireHttps", "false");
    }

    public LatchkeyServerFactory Factory { get; }

    public Guid UserId { get; private set; }

    public async Task<OidcTestHost> StartAsync()
    {
        var user = await Factory.CreateUserAsync(UserName, Password, email: "alice@example.test", firstName: "Alice", lastName: "Liddell");
        UserId = user.Id;
        return this;
    }

    public async Task<TestClient> CreateClientAsync(
        string clientId,
        bool confidential = true,
        bool firstParty = true,
        string? redirectUri = null,
        bool requirePar = false,
        IReadOnlyDictionary<string, object>? properties = null)
    {
        var secret = confidential ? "secret-" + clientId + "-0123456789abcdef" : null;
        var client = new TestClient(clientId, secret, redirectUri ?? $"https://{clientId}.example/callback", $"https://{clientId}.example/signed-out");
        await Factory.WithScopeAsync(async services =>
        {
            var manager = services.GetRequiredService<IOpenIddictApplicationManager>();
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = clientId,
                ClientSecret = secret,
                ClientType = confidential ? ClientTypes.Confidential : ClientTypes.Public,
                ConsentType = ConsentTypes.Explicit,
                DisplayName = "App " + clientId,
                RedirectUris = { new Uri(client.RedirectUri) },
                PostLogoutRedirectUris = { new Uri(client.PostLogoutRedirectUri) },
                Permissions =
                {
                    Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession,
                    Permissions.Endpoints.PushedAuthorization, Permissions.Endpoints.DeviceAuthorization,
                    Permissions.Endpoints.Revocation, Permissions.Endpoints.Introspection,
                    Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.GrantTypes.DeviceCode,
                    Permissions.ResponseTypes.Code,
                    Permissions.Scopes.Profile, Permissions.Scopes.Email, Permissions.Scopes.Roles,
                },
            };
            if (confidential)
            {
                descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
            }

            if (requirePar)
            {
                descriptor.Requirements.Add(Requirements.Features.PushedAuthorizationRequests);
            }

            descriptor.Properties["first_party"] = JsonSerializer.SerializeToElement(firstParty);
            foreach (var (key, value) in properties ?? new Dictionary<string, object>())
            {
                descriptor.Properties[key] = JsonSerializer.SerializeToElement(value);
            }

            await manager.CreateAsync(descriptor);
        });
        return client;
    }

    public Task<HttpClient> SignInAsync(CookieContainer? cookies = null) => Factory.SignInAsync(UserName, Password, cookies);

    /// <summary>The authorize URL (path and query) for a code request.</summary>
    public static string AuthorizeUrl(TestClient client, Pkce? pkce, string scope = "openid profile email roles offline_access", params (string Key, string? Value)[] extra)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = client.ClientId,
            ["redirect_uri"] = client.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = scope,
            ["state"] = "state-123",
            ["nonce"] = "nonce-456",
        };
        if (pkce is not null)
        {
            parameters["code_challenge"] = pkce.Challenge;
            parameters["code_challenge_method"] = "S256";
        }

        foreach (var (key, value) in extra)
        {
            parameters[key] = value;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", parameters.Where(p => p.Value is not null));
    }

    /// <summary>Parameters of a redirect back to the client (query part of Location).</summary>
    public static Dictionary<string, string> RedirectParameters(HttpResponseMessage response, TestClient client)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(client.RedirectUri, location.AbsoluteUri, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    /// <summary>
    /// An error OpenIddict answers itself, without redirecting: a request it cannot trust enough to send
    /// back to the client (bad redirect_uri, unknown client, any validation failure).
    /// </summary>
    public static async Task AssertErrorPageAsync(HttpResponseMessage response, string error)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains(error, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Runs authorize in a signed-in browser and returns the code (asserting a redirect with state and iss).</summary>
    public async Task<string> GetCodeAsync(HttpClient browser, TestClient client, Pkce? pkce, string scope = "openid profile email roles offline_access", params (string Key, string? Value)[] extra)
    {
        using var response = await browser.GetAsync(AuthorizeUrl(client, pkce, scope, extra));
        var parameters = RedirectParameters(response, client);
        Assert.Equal("state-123", parameters["state"]);
        Assert.Equal("http://localhost/", parameters["iss"]);
        return parameters["code"];
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, IDictionary<string, string> form)
    {
        using var http = Factory.CreateClient();
        using var response = await http.PostAsync(path, new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> RedeemCodeAsync(TestClient client, string code, Pkce? pkce)
    {
        var form = ClientAuth(client);
        form["grant_type"] = "authorization_code";
        form["code"] = code;
        form["redirect_uri"] = client.RedirectUri;
        if (pkce is not null)
        {
            form["code_verifier"] = pkce.Verifier;
        }

        return PostAsync("/connect/token", form);
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> RefreshAsync(TestClient client, string refreshToken) =>
        PostAsync("/connect/token", With(ClientAuth(client), ("grant_type", "refresh_token"), ("refresh_token", refreshToken)));

    public Task<(HttpStatusCode Status, JsonElement Body)> IntrospectAsync(TestClient client, string token) =>
        PostAsync("/connect/introspect", With(ClientAuth(client), ("token", token)));

    public static Dictionary<string, string> ClientAuth(TestClient client)
    {
        var form = new Dictionary<string, string> { ["client_id"] = client.ClientId };
        if (client.Secret is not null)
        {
            form["client_secret"] = client.Secret;
        }

        return form;
    }

    public static Dictionary<string, string> With(Dictionary<string, string> form, params (string Key, string Value)[] values)
    {
        foreach (var (key, value) in values)
        {
            form[key] = value;
        }

        return form;
    }

    public static JsonWebToken ReadJwt(string token) => new(token);

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}
