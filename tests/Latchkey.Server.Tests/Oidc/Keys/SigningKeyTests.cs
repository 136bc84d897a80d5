using System.Net;
using System.Security.Cryptography;
using Latchkey.Server.Oidc.Keys;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Oidc.Clients;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Latchkey.Server.Tests.Oidc.Clients.OidcClientsTestKit;

namespace Latchkey.Server.Tests.Oidc.Keys;

public sealed class SigningKeyTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new(useFakeTime: true);

    public SigningKeyTests()
    {
        // Short horizons: advancing a fake clock by days fires every periodic timer of the app once per period.
        _host.Factory
            .WithSetting("Latchkey:Oidc:RefreshTokenLifetime", "02:00:00")
            .WithSetting("Latchkey:Oidc:KeyRotationInterval", "03:00:00");
    }

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task First_start_creates_one_active_RS256_and_one_active_ES256_key_published_in_jwks()
    {
        var jwks = await JwksAsync(_host);

        var rows = await KeyRowsAsync();
        var rs256 = Assert.Single(rows, k => k.Algorithm == SigningKeyAlgorithms.RS256);
        var es256 = Assert.Single(rows, k => k.Algorithm == SigningKeyAlgorithms.ES256);
        Assert.Single(rows, k => k.Algorithm == SigningKeyAlgorithms.A256KW);
        Assert.All(rows, k => Assert.Equal(SigningKeyStatus.Active, k.StatusAt(_host.Factory.Time!.GetUtcNow())));
        Assert.Equal(new[] { es256.Kid, rs256.Kid }.Order(StringComparer.Ordinal), jwks.Keys.Select(k => k.Kid).Order(StringComparer.Ordinal));
        Assert.Equal("RS256", jwks.Keys.Single(k => k.Kid == rs256.Kid).Alg);
        Assert.Equal("ES256", jwks.Keys.Single(k => k.Kid == es256.Kid).Alg);

        // The symmetric encryption key is never published; discovery offers both signing algorithms.
        using var http = _host.Factory.CreateClient();
        var discovery = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        var algorithms = discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Contains("RS256", algorithms);
        Assert.Contains("ES256", algorithms);
    }

    [Fact]
    public async Task Private_keys_are_stored_encrypted_and_only_data_protection_with_the_key_purpose_opens_them()
    {
        var rows = await KeyRowsAsync();
        var rs256 = rows.Single(k => k.Algorithm == SigningKeyAlgorithms.RS256);
        var jwk = (await JwksAsync(_host)).Keys.Single(k => k.Kid == rs256.Kid);

        var stored = Convert.FromBase64String(rs256.ProtectedPrivateKey);
        using (var rsa = RSA.Create())
        {
            Assert.ThrowsAny<CryptographicException>(() => rsa.ImportPkcs8PrivateKey(stored, out _));
        }

        var modulus = Base64UrlEncoder.DecodeBytes(jwk.N);
        Assert.Equal(-1, stored.AsSpan().IndexOf(modulus));

        var pkcs8 = await _host.Factory.WithScopeAsync(services => Task.FromResult(
            services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Latchkey.SigningKey.v1").Unprotect(stored)));
        using var opened = RSA.Create();
        opened.ImportPkcs8PrivateKey(pkcs8, out _);
        Assert.Equal(modulus, opened.ExportParameters(false).Modulus);

        await _host.Factory.WithScopeAsync(services =>
        {
            var wrongPurpose = services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Latchkey.ConsumerKey.v1");
            Assert.ThrowsAny<CryptographicException>(() => wrongPurpose.Unprotect(stored));
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Rotation_publishes_the_next_key_first_switches_signing_at_activation_and_keeps_old_tokens_valid_without_restart()
    {
        var time = _host.Factory.Time!;
        var machine = await AddMachineClientAsync(_host, "machine");
        var oldKid = (await KeyRowsAsync()).Single(k => k.Algorithm == SigningKeyAlgorithms.RS256).Kid;
        var before = await AccessTokenAsync(machine.ClientSecret!);
        Assert.Equal(oldKid, new JsonWebToken(before).Kid);

        // As "latchkey keys rotate" does from another process: straight to the database.
        var next = await _host.Factory.WithScopeAsync(services => services.GetRequiredService<SigningKeyStore>().RotateAsync(SigningKeyAlgorithms.RS256, CancellationToken.None));
        await EventuallyAsync(async () => (await JwksAsync(_host)).Keys.Any(k => k.Kid == next.Kid));

        // Published but not signing yet; the old key still signs and its tokens still validate.
        var jwks = await JwksAsync(_host);
        Assert.Contains(jwks.Keys, k => k.Kid == oldKid);
        Assert.Equal(oldKid, new JsonWebToken(await AccessTokenAsync(machine.ClientSecret!)).Kid);
        await AssertValidAgainstJwksAsync(before, jwks);
        Assert.True(await IsActiveAsync(machine.ClientSecret!, before));

        // At ActivatesAt (KeyPublishLead = 1 h later) the next key signs; the old one stays published.
        time.SetUtcNow(next.ActivatesAt);
        await EventuallyAsync(async () => new JsonWebToken(await AccessTokenAsync(machine.ClientSecret!)).Kid == next.Kid);
        var after = await JwksAsync(_host);
        Assert.Contains(after.Keys, k => k.Kid == oldKid);
        Assert.Contains(after.Keys, k => k.Kid == next.Kid);
        await AssertValidAgainstJwksAsync(before, after);

        var rows = await KeyRowsAsync();
        var old = rows.Single(k => k.Kid == oldKid);
        Assert.Equal(next.ActivatesAt, old.RetiresAt);
        Assert.Equal(SigningKeyStatus.Retiring, old.StatusAt(time.GetUtcNow()));

        // After ExpiresAt (retirement + the longest token lifetime) the old key leaves JWKS.
        time.SetUtcNow(old.ExpiresAt!.Value);
        await EventuallyAsync(async () => (await JwksAsync(_host)).Keys.All(k => k.Kid != oldKid));
    }

    [Fact]
    public async Task A_refresh_token_issued_before_the_switch_is_redeemed_after_it()
    {
        var time = _host.Factory.Time!;
        var client = await AddWebClientAsync(_host, "web");
        var browser = await _host.SignInAsync();
        var pkce = Pkce.Create();
        var code = await _host.GetCodeAsync(browser, client, pkce);
        var (status, body) = await _host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var refreshToken = body.GetProperty("refresh_token").GetString()!;
        var probe = await AddMachineClientAsync(_host, "probe");

        var next = await _host.Factory.WithScopeAsync(services => services.GetRequiredService<SigningKeyStore>().RotateAsync(SigningKeyAlgorithms.RS256, CancellationToken.None));
        time.SetUtcNow(next.ActivatesAt + TimeSpan.FromMinutes(1));
        await EventuallyAsync(async () => new JsonWebToken(await AccessTokenAsync(probe.ClientSecret!, probe.ClientId)).Kid == next.Kid);

        var (refreshed, tokens) = await _host.RefreshAsync(client, refreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed);
        Assert.Equal(next.Kid, new JsonWebToken(tokens.GetProperty("id_token").GetString()!).Kid);
    }

    [Fact]
    public async Task The_encryption_key_rotates_with_the_signing_key_and_the_old_one_still_decrypts_until_it_expires()
    {
        var time = _host.Factory.Time!;
        var client = await AddWebClientAsync(_host, "web");
        var pkce = Pkce.Create();
        var (status, body) = await _host.RedeemCodeAsync(client, await _host.GetCodeAsync(await _host.SignInAsync(), client, pkce), pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var oldRefreshToken = body.GetProperty("refresh_token").GetString()!;
        var oldEncryptionKid = new JsonWebToken(oldRefreshToken).Kid;
        var before = Assert.Single(await KeyRowsAsync(), k => k.Algorithm == SigningKeyAlgorithms.A256KW);
        Assert.Equal(before.Kid, oldEncryptionKid);
        var probe = await AddMachineClientAsync(_host, "probe");

        var next = await _host.Factory.WithScopeAsync(services => services.GetRequiredService<SigningKeyStore>().RotateAsync(SigningKeyAlgorithms.RS256, CancellationToken.None));

        var rows = await KeyRowsAsync();
        var encryption = rows.Where(k => k.Algorithm == SigningKeyAlgorithms.A256KW).ToList();
        Assert.Equal(2, encryption.Count);
        var newEncryption = Assert.Single(encryption, k => k.Kid != before.Kid);
        Assert.Equal(next.ActivatesAt, newEncryption.ActivatesAt);
        var retired = Assert.Single(encryption, k => k.Kid == before.Kid);
        Assert.Equal(next.ActivatesAt, retired.RetiresAt);
        Assert.True(retired.ExpiresAt >= next.ActivatesAt + TimeSpan.FromHours(2), "kept at least one refresh-token lifetime after the switch");

        // An ES256-only rotation leaves the encryption key alone.
        await _host.Factory.WithScopeAsync(services => services.GetRequiredService<SigningKeyStore>().RotateAsync(SigningKeyAlgorithms.ES256, CancellationToken.None));
        Assert.Equal(2, (await KeyRowsAsync()).Count(k => k.Algorithm == SigningKeyAlgorithms.A256KW));

        time.SetUtcNow(next.ActivatesAt + TimeSpan.FromMinutes(1));
        await EventuallyAsync(async () => new JsonWebToken(await AccessTokenAsync(probe.ClientSecret!, probe.ClientId)).Kid == next.Kid);

        // Encrypted under the old key, decrypted after the switch; its successor is encrypted under the new key.
        var (refreshed, tokens) = await _host.RefreshAsync(client, oldRefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed);
        Assert.Equal(newEncryption.Kid, new JsonWebToken(tokens.GetProperty("refresh_token").GetString()!).Kid);
    }

    [Fact]
    public async Task Id_tokens_are_RS256_by_default_and_ES256_for_clients_registered_with_it()
    {
        var rows = await KeyRowsAsync();
        var browser = await _host.SignInAsync();

        foreach (var (clientId, algorithm) in new[] { ("rs-app", (string?)null), ("es-app", "ES256") })
        {
            var client = await AddWebClientAsync(_host, clientId, algorithm);
            var pkce = Pkce.Create();
            var code = await _host.GetCodeAsync(browser, client, pkce);
            var (status, body) = await _host.RedeemCodeAsync(client, code, pkce);
            Assert.Equal(HttpStatusCode.OK, status);

            var idToken = body.GetProperty("id_token").GetString()!;
            var expected = algorithm ?? "RS256";
            var jwt = new JsonWebToken(idToken);
            Assert.Equal(expected, jwt.Alg);
            Assert.Equal(rows.Single(k => k.Algorithm == expected).Kid, jwt.Kid);
            await AssertValidAgainstJwksAsync(idToken, await JwksAsync(_host), "JWT");

            // Access tokens keep the default algorithm.
            Assert.Equal("RS256", new JsonWebToken(body.GetProperty("access_token").GetString()!).Alg);
        }
    }

    [Fact]
    public async Task Scheduled_rotation_creates_the_next_key_when_the_interval_has_passed()
    {
        var time = _host.Factory.Time!;
        var current = (await KeyRowsAsync()).Single(k => k.Algorithm == SigningKeyAlgorithms.ES256);

        time.Advance(TimeSpan.FromHours(3));
        await EventuallyAsync(async () => (await KeyRowsAsync()).Count(k => k.Algorithm == SigningKeyAlgorithms.ES256) == 2);

        var rows = await KeyRowsAsync();
        var next = rows.Single(k => k.Algorithm == SigningKeyAlgorithms.ES256 && k.Kid != current.Kid);
        Assert.Equal(SigningKeyStatus.Next, next.StatusAt(time.GetUtcNow()));
        Assert.Equal(next.ActivatesAt, rows.Single(k => k.Kid == current.Kid).RetiresAt);
        Assert.Equal(2, rows.Count(k => k.Algorithm == SigningKeyAlgorithms.RS256));
    }

    private async Task<string> AccessTokenAsync(string secret, string clientId = "machine")
    {
        var (status, body) = await ClientCredentialsAsync(_host, clientId, secret);
        Assert.True(status == HttpStatusCode.OK, $"token request failed: {status} {body}");
        return body.GetProperty("access_token").GetString()!;
    }

    private async Task<bool> IsActiveAsync(string secret, string token)
    {
        var (status, body) = await _host.PostAsync("/connect/introspect", new Dictionary<string, string>
        {
            ["client_id"] = "machine",
            ["client_secret"] = secret,
            ["token"] = token,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("active").GetBoolean();
    }

    private static async Task AssertValidAgainstJwksAsync(string token, JsonWebKeySet jwks, string type = "at+jwt")
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidTypes = [type],
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    private Task<List<SigningKey>> KeyRowsAsync() =>
        _host.Factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SigningKey>().AsNoTracking().ToListAsync());

    /// <summary>
    /// Waits for the node's key refresher (every 30 s of app time) to act, nudging the fake clock one
    /// second at a time so its timer fires without the test sleeping through real refresh intervals.
    /// </summary>
    private async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            _host.Factory.Time!.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(25);
        }

        Assert.Fail("The key change did not reach the running server.");
    }
}
