using System.Net;
using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.Accounts.Passkeys.PasskeyTestKit;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary>The passkey table (JSON data column, last-used shadow column) and the one-time ceremonies on both providers.</summary>
public sealed class PasskeyStorageTests
{
    private const string Password = "correct horse battery";

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Register_sign_in_rename_and_remove_round_trip_through_the_database(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true);
        var alice = await factory.CreateUserAsync("alice", Password);
        var browser = await factory.SignInAsync("alice", Password);
        using var authenticator = new SoftwareAuthenticator();
        await RegisterAsync(browser, authenticator, "Laptop");

        var anonymous = factory.CreateBrowser();
        var token = await TokenAsync(anonymous, "/account/login");
        var (ceremony, options) = await OptionsAsync(anonymous, SignInOptions, token);
        var answer = Answer(ceremony, authenticator.Get(options));
        using (var signIn = await PostJsonAsync(anonymous, SignIn, token, answer))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        using (var replay = await PostJsonAsync(anonymous, SignIn, await TokenAsync(anonymous, "/account/passkeys"), answer))
        {
            Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        }

        Assert.Equal(new StoredPasskey("Laptop", 1, factory.Time!.GetUtcNow()), await StoredAsync(factory, authenticator.CredentialId));
        var (renamed, removed, remaining) = await factory.WithScopeAsync(async services =>
        {
            var credentials = services.GetRequiredService<PasskeyCredentials>();
            var renamed = await credentials.RenameAsync(alice.Id, authenticator.CredentialIdText, "Work laptop", CancellationToken.None);
            var listed = await credentials.ListAsync(alice.Id, CancellationToken.None);
            Assert.Equal("Work laptop", Assert.Single(listed).Name);
            var removed = await credentials.RemoveAsync(alice.Id, authenticator.CredentialIdText, CancellationToken.None);
            return (renamed, removed, await credentials.CountAsync(alice.Id, CancellationToken.None));
        });
        Assert.True(renamed);
        Assert.True(removed);
        Assert.Equal(0, remaining);
    }
}
