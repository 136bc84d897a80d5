using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Latchkey.Server.Tests.Oidc.OidcTestHost;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>
/// Clients cannot register a JWKS, so private_key_jwt is neither advertised nor accepted: a signed client
/// assertion (RFC 7523) — even one naming a real client and this token endpoint — is invalid_client.
/// </summary>
public sealed class ClientAssertionTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Private_key_jwt_is_not_advertised_for_any_endpoint()
    {
        using var http = _host.Factory.CreateClient();
        var discovery = await http.GetStringAsync("/.well-known/openid-configuration");

        Assert.DoesNotContain("private_key_jwt", discovery, StringComparison.Ordinal);
        Assert.Contains("client_secret_basic", discovery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signed_client_assertion_is_refused_as_invalid_client()
    {
        var client = await _host.CreateClientAsync("machine");
        using var rsa = RSA.Create(2048);
        var assertion = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = client.ClientId,
            Audience = "http://localhost/connect/token",
            Claims = new Dictionary<string, object> { ["sub"] = client.ClientId, ["jti"] = Guid.NewGuid().ToString("N") },
            Expires = DateTime.UtcNow.AddMinutes(2),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256),
        });

        var (status, body) = await _host.PostAsync("/connect/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
        });

        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"got {(int)status}");
        Assert.Contains(body.GetProperty("error").GetString(), new[] { "invalid_client", "invalid_request" });
        Assert.False(body.TryGetProperty("access_token", out _));
    }
}
