using System.Net;
using System.Text;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;
using static Latchkey.Server.Tests.Oidc.Clients.OidcClientsTestKit;

namespace Latchkey.Server.Tests.Oidc.Clients;

public sealed class ClientSecretTests : IAsyncLifetime
{
    private readonly OidcTestHost _host = new();

    public async ValueTask InitializeAsync() => await _host.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Secret_is_256_bit_random_and_stored_only_as_an_hmac_under_the_encrypted_server_pepper()
    {
        var created = await AddMachineClientAsync(_host, "machine");
        var secret = created.ClientSecret!;
        Assert.Equal(43, secret.Length);
        Assert.Equal(32, Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(secret).Length);

        var (stored, protectedPepper) = await _host.Factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            var application = await db.Set<OpenIddictEntityFrameworkCoreApplication<Guid>>().AsNoTracking().SingleAsync(a => a.ClientId == "machine");
            var pepperRow = await db.Set<ClientSecretPepperRow>().AsNoTracking().SingleAsync();
            return (application.ClientSecret!, pepperRow.ProtectedPepper);
        });

        Assert.StartsWith("hmac-sha256:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        Assert.NotEqual((byte)0x01, SafeFirstByte(stored)); // not OpenIddict's PBKDF2 format (base64 of 0x01 | prf | iterations | salt | subkey)

        var pepper = await _host.Factory.WithScopeAsync(services => Task.FromResult(
            services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Latchkey.ClientSecretPepper.v1").Unprotect(Convert.FromBase64String(protectedPepper))));
        Assert.Equal(32, pepper.Length);
        Assert.Equal(ClientSecretHash.Compute(pepper, secret), stored);
        Assert.DoesNotContain(Convert.ToBase64String(pepper), protectedPepper, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Right_secret_gets_a_token_wrong_or_rotated_out_secret_is_invalid_client()
    {
        var created = await AddMachineClientAsync(_host, "machine");

        var (ok, _) = await ClientCredentialsAsync(_host, "machine", created.ClientSecret!);
        Assert.Equal(HttpStatusCode.OK, ok);

        var (wrong, body) = await ClientCredentialsAsync(_host, "machine", created.ClientSecret![..^1] + (created.ClientSecret![^1] == 'A' ? 'B' : 'A'));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());

        var rotated = await _host.Factory.WithScopeAsync(services => services.GetRequiredService<ClientRegistry>().RotateSecretAsync("machine", CancellationToken.None));
        var (old, oldBody) = await ClientCredentialsAsync(_host, "machine", created.ClientSecret!);
        Assert.Equal("invalid_client", oldBody.GetProperty("error").GetString());
        Assert.NotEqual(HttpStatusCode.OK, old);
        var (fresh, _) = await ClientCredentialsAsync(_host, "machine", rotated!.ClientSecret!);
        Assert.Equal(HttpStatusCode.OK, fresh);
    }

    [Fact]
    public void Verify_is_exact_and_rejects_other_formats()
    {
        var pepper = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var stored = ClientSecretHash.Compute(pepper, "s3cret");

        Assert.True(ClientSecretHash.Verify(pepper, "s3cret", stored));
        Assert.False(ClientSecretHash.Verify(pepper, "s3cret ", stored));
        Assert.False(ClientSecretHash.Verify(pepper, "S3cret", stored));
        Assert.False(ClientSecretHash.Verify([.. pepper.Reverse()], "s3cret", stored));
        Assert.False(ClientSecretHash.Verify(pepper, "s3cret", stored[..^2]));
        Assert.False(ClientSecretHash.Verify(pepper, "s3cret", "hmac-sha256:!!!"));
        Assert.False(ClientSecretHash.Verify(pepper, "s3cret", "AQAAAAEAACcQAAAAE"));
        Assert.False(ClientSecretHash.Verify(pepper, "s3cret", stored.Replace("hmac-sha256:", "HMAC-SHA256:", StringComparison.Ordinal)));
    }

    private static byte SafeFirstByte(string stored)
    {
        try
        {
            return Convert.FromBase64String(stored)[0];
        }
        catch (FormatException)
        {
            return Encoding.ASCII.GetBytes(stored)[0];
        }
    }
}
