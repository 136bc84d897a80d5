using System.Net;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary>
/// One running Latchkey (fresh database, fake clock) shared by the tests of a class. Each test makes
/// its own consumer and user, so tests do not see each other's tokens.
/// </summary>
public abstract class SimpleSsoServerFixture(LatchkeyTestStorage storage) : IAsyncLifetime
{
    public const string Password = "correct horse battery";
    public const string Origin = "https://app.example";
    public const string RedirectTo = Origin + "/sso/authenticate/?next=%2Fprivate%2F";

    private readonly LatchkeyServerFactory? _factory =
        storage == LatchkeyTestStorage.Sqlite || LatchkeyServerFactory.PostgresBaseConnectionString is not null
            ? new LatchkeyServerFactory(storage, useFakeTime: true)
            : null;

    /// <summary>The running app; skips the test when its database is not configured (PostgreSQL without <c>LATCHKEY_TEST_POSTGRES</c>).</summary>
    public LatchkeyServerFactory Factory
    {
        get
        {
            if (_factory is null)
            {
                LatchkeyServerFactory.SkipUnlessPostgresConfigured();
            }

            return _factory!;
        }
    }

    public FakeTimeProvider Time => Factory.Time!;

    public DateTimeOffset Now => Time.GetUtcNow();

    public ValueTask InitializeAsync()
    {
        _ = _factory?.Services;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory?.DisposeAsync() ?? ValueTask.CompletedTask;

    internal SimpleSsoWire Wire() => new(Factory.CreateClient());

    internal async Task<SsoKeys> NewConsumerAsync(params string[] origins)
    {
        var created = await Factory.CreateConsumerAsync("c-" + Guid.NewGuid().ToString("N"), origins.Length == 0 ? [Origin] : origins);
        return new SsoKeys(created.PublicKey, created.PrivateKey);
    }

    internal async Task<string> NewUserAsync(bool isActive = true)
    {
        var name = "u" + Guid.NewGuid().ToString("N")[..12];
        await Factory.CreateUserAsync(name, Password, isActive: isActive, email: name + "@example.org", firstName: "First", lastName: "Last");
        return name;
    }

    internal async Task<HttpClient> SignedInBrowserAsync(string userName) => await Factory.SignInAsync(userName, Password);

    internal static Task<HttpResponseMessage> AuthorizeAsync(HttpClient browser, string requestToken) =>
        browser.GetAsync("/sso/authorize/?token=" + requestToken, TestContext.Current.CancellationToken);

    /// <summary>The signed <c>access_token</c> of a successful authorize redirect.</summary>
    internal static string SignedAccessTokenOf(HttpResponseMessage authorize)
    {
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var location = authorize.Headers.Location!;
        Assert.True(location.IsAbsoluteUri, location.ToString());
        return QueryHelpers.ParseQuery(location.Query)["access_token"].Single()!;
    }

    /// <summary>request-token, then authorize in a signed-in browser; returns the raw access token the client would verify.</summary>
    internal async Task<string> AccessTokenAsync(SsoKeys keys, HttpClient browser, string redirectTo = RedirectTo)
    {
        var requestToken = await Wire().GetRequestTokenAsync(keys, redirectTo, Now);
        using var authorize = await AuthorizeAsync(browser, requestToken);
        return SimpleSsoWire.OpenAccessToken(SignedAccessTokenOf(authorize), keys.PrivateKey);
    }

    internal Task<SimpleSsoToken?> FindTokenByRequestTokenAsync(string requestToken) =>
        Factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().SimpleSsoTokens.AsNoTracking()
            .SingleOrDefaultAsync(t => t.RequestTokenHash == Sha256Hex(requestToken)));

    internal static string Sha256Hex(string value) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)));

    internal static async Task AssertRefusedAsync(HttpResponseMessage response, SimpleSsoError expected)
    {
        Assert.Equal(expected.Status, (int)response.StatusCode);
        Assert.Equal(expected.Reason, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(SimpleSsoWire.HtmlUtf8, response.Content.Headers.ContentType?.ToString());
    }
}

public sealed class SqliteSimpleSsoServer() : SimpleSsoServerFixture(LatchkeyTestStorage.Sqlite);

public sealed class PostgreSqlSimpleSsoServer() : SimpleSsoServerFixture(LatchkeyTestStorage.PostgreSql);
