using System.Net;
using Latchkey.Server.Consumers;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.SimpleSso.SimpleSsoServerFixture;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary><c>POST /sso/verify/</c>: protocol §3.3, with one-time access tokens and 4xx instead of 500s.</summary>
public abstract class VerifyEndpointTests(SimpleSsoServerFixture server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TimestampEpoch.Unix)]
    [InlineData(TimestampEpoch.Legacy2011)]
    public async Task Answers_the_user_object_byte_for_byte_in_the_senders_epoch(TimestampEpoch epoch)
    {
        var keys = await server.NewConsumerAsync();
        var name = "alice" + Guid.NewGuid().ToString("N")[..8];
        await server.Factory.CreateUserAsync(name, Password, email: "alice@example.org", firstName: "Alice", lastName: "Liddell");
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(name));

        using var response = await server.Wire().VerifyAsync(keys, accessToken, server.Now, epoch);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SimpleSsoWire.HtmlUtf8, response.Content.Headers.ContentType?.ToString());
        var expectedJson = $"{{\"username\":\"{name}\",\"email\":\"alice@example.org\",\"first_name\":\"Alice\",\"last_name\":\"Liddell\","
            + "\"is_staff\":false,\"is_superuser\":false,\"is_active\":true}";
        Assert.Equal(new TimedSigner(keys.PrivateKey).Sign(expectedJson, server.Now, epoch), await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_user_object_parses_as_the_client_library_reads_it_with_the_consumers_grants()
    {
        var created = await server.Factory.CreateConsumerAsync("granting-" + Guid.NewGuid().ToString("N"), Origin);
        await server.Factory.WithScopeAsync(s => s.GetRequiredService<ConsumerRegistry>().UpdateAsync(created.Name, [Origin], grantStaff: true, grantSuperuser: true, Ct));
        var keys = new SsoKeys(created.PublicKey, created.PrivateKey);
        var name = await server.NewUserAsync();
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(name));

        using var response = await server.Wire().VerifyAsync(keys, accessToken, server.Now);

        var opened = SimpleSsoEnvelope.Open(await response.Content.ReadAsStringAsync(Ct), new TimedSigner(keys.PrivateKey), server.Now, window: null);
        var user = SimpleSsoUser.From(opened.Value);
        Assert.True(user.IsSuccess);
        Assert.Equal(name, user.Value.Username);
        Assert.Equal(name + "@example.org", user.Value.Email);
        Assert.True(user.Value.IsStaff);
        Assert.True(user.Value.IsSuperuser);
        Assert.True(user.Value.IsActive);
        Assert.Null(user.Value.ExtraData);
    }

    [Fact]
    public async Task Verifying_twice_fails_the_access_token_is_one_time()
    {
        var keys = await server.NewConsumerAsync();
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(await server.NewUserAsync()));
        using var first = await server.Wire().VerifyAsync(keys, accessToken, server.Now);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await server.Wire().VerifyAsync(keys, accessToken, server.Now);

        await AssertRefusedAsync(second, SimpleSsoError.TokenAlreadyUsed);
    }

    [Fact]
    public async Task Of_concurrent_verifies_exactly_one_succeeds()
    {
        var keys = await server.NewConsumerAsync();
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(await server.NewUserAsync()));

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => server.Wire().VerifyAsync(keys, accessToken, server.Now)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await AssertRefusedAsync(refused, SimpleSsoError.TokenAlreadyUsed);
        }
    }

    [Fact]
    public async Task Extra_data_is_ignored_and_the_user_object_returned_without_it()
    {
        var keys = await server.NewConsumerAsync();
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(await server.NewUserAsync()));
        var json = SimpleSsoWire.PythonJson(("access_token", accessToken), ("extra_data", new[] { "groups" }));

        using var response = await server.Wire().PostAsync("verify/", keys.PublicKey, SimpleSsoWire.Envelope(json, keys.PrivateKey, server.Now));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("extra_data", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_consumers_access_token_is_not_found_and_stays_usable_by_its_own()
    {
        var keys = await server.NewConsumerAsync();
        var other = await server.NewConsumerAsync();
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(await server.NewUserAsync()));

        using var stolen = await server.Wire().VerifyAsync(other, accessToken, server.Now);
        using var own = await server.Wire().VerifyAsync(keys, accessToken, server.Now);

        await AssertRefusedAsync(stolen, SimpleSsoError.TokenNotFound);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("short")]
    [InlineData("../../etc/passwd")]
    public async Task Unknown_or_malformed_access_tokens_are_not_found(string accessToken)
    {
        var keys = await server.NewConsumerAsync();

        using var response = await server.Wire().VerifyAsync(keys, accessToken, server.Now);

        await AssertRefusedAsync(response, SimpleSsoError.TokenNotFound);
    }

    [Fact]
    public async Task The_request_token_is_not_an_access_token()
    {
        var keys = await server.NewConsumerAsync();
        var requestToken = await server.Wire().GetRequestTokenAsync(keys, RedirectTo, server.Now);
        using var authorize = await AuthorizeAsync(await server.SignedInBrowserAsync(await server.NewUserAsync()), requestToken);

        using var response = await server.Wire().VerifyAsync(keys, requestToken, server.Now);

        await AssertRefusedAsync(response, SimpleSsoError.TokenNotFound);
    }

    [Fact]
    public async Task An_expired_access_token_times_out()
    {
        var keys = await server.NewConsumerAsync();
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(await server.NewUserAsync()));

        server.Time.Advance(TimeSpan.FromMinutes(5));
        using var response = await server.Wire().VerifyAsync(keys, accessToken, server.Now);

        await AssertRefusedAsync(response, SimpleSsoError.TokenTimedOut);
    }

    [Fact]
    public async Task A_user_disabled_after_authorize_is_denied()
    {
        var keys = await server.NewConsumerAsync();
        var name = await server.NewUserAsync();
        var accessToken = await server.AccessTokenAsync(keys, await server.SignedInBrowserAsync(name));
        await server.Factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<Storage.LatchkeyUser>>();
            var user = await users.FindByNameAsync(name);
            user!.IsActive = false;
            await users.UpdateAsync(user);
        });

        using var response = await server.Wire().VerifyAsync(keys, accessToken, server.Now);

        await AssertRefusedAsync(response, SimpleSsoError.AccessDenied);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"access_token\": 5}")]
    [InlineData("{\"access_token\": \"\"}")]
    [InlineData("{\"token\": \"abc\"}")]
    [InlineData("[]")]
    public async Task Payloads_without_an_access_token_fail_to_process(string json)
    {
        var keys = await server.NewConsumerAsync();

        using var response = await server.Wire().PostAsync("verify/", keys.PublicKey, SimpleSsoWire.Envelope(json, keys.PrivateKey, server.Now));

        await AssertRefusedAsync(response, SimpleSsoError.FailedToProcess);
    }

    [Fact]
    public async Task Envelope_errors_match_request_token()
    {
        var keys = await server.NewConsumerAsync();
        var good = SimpleSsoWire.Envelope(SimpleSsoWire.PythonJson(("access_token", SimpleSsoTokens.New())), keys.PrivateKey, server.Now);
        var wire = server.Wire();

        await AssertRefusedAsync(await wire.PostAsync("verify/", null, good), SimpleSsoError.NoPublicKey);
        await AssertRefusedAsync(await wire.PostAsync("verify/", SimpleSsoTokens.New(), good), SimpleSsoError.InvalidPublicKey);
        await AssertRefusedAsync(await wire.PostAsync("verify/", keys.PublicKey, good[..^2]), SimpleSsoError.BadSignature);
        await AssertRefusedAsync(await wire.PostAsync("verify/", keys.PublicKey, ""), SimpleSsoError.BadSignature);
        await AssertRefusedAsync(await wire.VerifyAsync(keys, SimpleSsoTokens.New(), server.Now.AddSeconds(-31)), SimpleSsoError.SignatureExpired);
        await AssertRefusedAsync(await wire.VerifyAsync(keys, SimpleSsoTokens.New(), server.Now.AddSeconds(31), TimestampEpoch.Legacy2011), SimpleSsoError.SignatureExpired);
        await AssertRefusedAsync(await wire.PostRawAsync("verify/", keys.PublicKey, new byte[20_000]), SimpleSsoError.PayloadTooLarge);

        using var get = await server.Factory.CreateClient().GetAsync("/sso/verify/", Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("POST", await get.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task After_key_rotation_the_old_key_verifies_during_the_overlap_and_not_after()
    {
        var created = await server.Factory.CreateConsumerAsync("rotating-" + Guid.NewGuid().ToString("N"), Origin);
        var old = new SsoKeys(created.PublicKey, created.PrivateKey);
        var browser = await server.SignedInBrowserAsync(await server.NewUserAsync());
        var beforeRotation = await server.AccessTokenAsync(old, browser);

        var rotated = await server.Factory.WithScopeAsync(s => s.GetRequiredService<ConsumerRegistry>().RotateKeysAsync(created.Name, TimeSpan.FromMinutes(2), Ct));
        var fresh = new SsoKeys(rotated!.PublicKey, rotated.PrivateKey);

        // During the overlap both pairs work, and a login started with the old pair completes.
        var duringOverlap = await server.AccessTokenAsync(old, browser);
        using (var verifyOld = await server.Wire().VerifyAsync(old, beforeRotation, server.Now))
        {
            Assert.Equal(HttpStatusCode.OK, verifyOld.StatusCode);
        }

        using (var verifyNew = await server.Wire().VerifyAsync(fresh, await server.AccessTokenAsync(fresh, browser), server.Now))
        {
            Assert.Equal(HttpStatusCode.OK, verifyNew.StatusCode);
        }

        server.Time.Advance(TimeSpan.FromMinutes(2));
        using var afterOverlap = await server.Wire().VerifyAsync(old, duringOverlap, server.Now);
        await AssertRefusedAsync(afterOverlap, SimpleSsoError.InvalidPublicKey);

        // The same consumer's token may still be traded with its new pair.
        using var withNewKey = await server.Wire().VerifyAsync(fresh, duringOverlap, server.Now);
        Assert.Equal(HttpStatusCode.OK, withNewKey.StatusCode);
    }
}

public sealed class VerifyEndpointTestsOnSqlite(SqliteSimpleSsoServer server) : VerifyEndpointTests(server), IClassFixture<SqliteSimpleSsoServer>;

public sealed class VerifyEndpointTestsOnPostgreSql(PostgreSqlSimpleSsoServer server) : VerifyEndpointTests(server), IClassFixture<PostgreSqlSimpleSsoServer>;
