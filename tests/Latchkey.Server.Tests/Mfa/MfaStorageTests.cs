using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Mfa;

/// <summary>One-time use of TOTP steps, recovery codes and email codes, against the real databases (also under concurrency).</summary>
public sealed class MfaStorageTests
{
    private const string Password = "correct horse battery";

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task A_totp_code_is_accepted_once_and_earlier_steps_stay_refused(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true);
        var user = await factory.CreateUserAsync("alice", Password);
        var secret = await MfaTestKit.EnrolTotpAsync(factory, user.Id);
        factory.Time!.Advance(TimeSpan.FromSeconds(30));
        var now = factory.Time.GetUtcNow();

        var first = await VerifyAsync(factory, user.Id, TotpCodes.CodeFor(secret, TotpCodes.StepAt(now)));
        var again = await VerifyAsync(factory, user.Id, TotpCodes.CodeFor(secret, TotpCodes.StepAt(now)));
        var previous = await VerifyAsync(factory, user.Id, TotpCodes.CodeFor(secret, TotpCodes.StepAt(now) - 1));
        var next = await VerifyAsync(factory, user.Id, TotpCodes.CodeFor(secret, TotpCodes.StepAt(now) + 1));

        Assert.Equal(TotpVerification.Accepted, first);
        Assert.Equal(TotpVerification.Replayed, again);
        Assert.Equal(TotpVerification.Replayed, previous);
        Assert.Equal(TotpVerification.Accepted, next);
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Concurrent_uses_of_one_totp_code_succeed_exactly_once(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true);
        var user = await factory.CreateUserAsync("alice", Password);
        var secret = await MfaTestKit.EnrolTotpAsync(factory, user.Id);
        factory.Time!.Advance(TimeSpan.FromSeconds(30));
        var code = TotpCodes.CodeFor(secret, TotpCodes.StepAt(factory.Time.GetUtcNow()));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => VerifyAsync(factory, user.Id, code))));

        Assert.Equal(1, results.Count(r => r == TotpVerification.Accepted));
        Assert.Equal(7, results.Count(r => r == TotpVerification.Replayed));
    }

    [Fact]
    public async Task The_totp_secret_is_stored_encrypted()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true);
        var user = await factory.CreateUserAsync("alice", Password);
        var secret = await MfaTestKit.EnrolTotpAsync(factory, user.Id);

        var stored = await factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<TotpAuthenticator>().AsNoTracking().SingleAsync());

        Assert.DoesNotContain(Convert.ToBase64String(secret), stored.ProtectedSecret, StringComparison.Ordinal);
        Assert.DoesNotContain(OtpNet.Base32Encoding.ToString(secret).TrimEnd('='), stored.ProtectedSecret, StringComparison.Ordinal);
        Assert.Equal(secret, factory.Services.GetRequiredService<TotpSecretProtector>().Unprotect(stored.ProtectedSecret));
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Recovery_codes_are_ten_hashed_one_time_codes_and_regeneration_voids_the_old_ones(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        var user = await factory.CreateUserAsync("alice", Password);

        var codes = await factory.WithScopeAsync(s => s.GetRequiredService<RecoveryCodes>().RegenerateAsync(user.Id, CancellationToken.None));
        var stored = await factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Set<RecoveryCode>().AsNoTracking().Select(c => c.CodeHash).ToListAsync());

        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, code => Assert.Matches("^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$", code));
        Assert.All(codes, code => Assert.DoesNotContain(stored, hash => hash.Contains(code.Replace("-", "", StringComparison.Ordinal), StringComparison.Ordinal)));

        Assert.Equal(9, await ConsumeAsync(factory, user.Id, codes[0].ToLowerInvariant()));
        Assert.Null(await ConsumeAsync(factory, user.Id, codes[0]));
        Assert.Null(await ConsumeAsync(factory, user.Id, "AAAA-AAAA-AAAA-AAAA"));
        Assert.Null(await ConsumeAsync(factory, user.Id, "not a code"));

        var fresh = await factory.WithScopeAsync(s => s.GetRequiredService<RecoveryCodes>().RegenerateAsync(user.Id, CancellationToken.None));
        Assert.Null(await ConsumeAsync(factory, user.Id, codes[1]));
        Assert.Equal(9, await ConsumeAsync(factory, user.Id, fresh[0]));
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Concurrent_uses_of_one_recovery_code_succeed_exactly_once(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        var user = await factory.CreateUserAsync("alice", Password);
        var codes = await factory.WithScopeAsync(s => s.GetRequiredService<RecoveryCodes>().RegenerateAsync(user.Id, CancellationToken.None));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => ConsumeAsync(factory, user.Id, codes[3]))));

        Assert.Single(results, r => r is not null);
        Assert.Equal(9, results.Single(r => r is not null));
        Assert.Equal(9, await factory.WithScopeAsync(s => s.GetRequiredService<RecoveryCodes>().CountRemainingAsync(user.Id, CancellationToken.None)));
    }

    [Fact]
    public async Task A_recovery_code_of_one_user_does_not_work_for_another()
    {
        await using var factory = new LatchkeyServerFactory();
        var alice = await factory.CreateUserAsync("alice", Password);
        var bob = await factory.CreateUserAsync("bob", Password);
        var codes = await factory.WithScopeAsync(s => s.GetRequiredService<RecoveryCodes>().RegenerateAsync(alice.Id, CancellationToken.None));

        Assert.Null(await ConsumeAsync(factory, bob.Id, codes[0]));
        Assert.Equal(9, await ConsumeAsync(factory, alice.Id, codes[0]));
    }

    private static Task<TotpVerification> VerifyAsync(LatchkeyServerFactory factory, Guid userId, string code) =>
        factory.WithScopeAsync(s => s.GetRequiredService<TotpAuthenticators>().VerifyAsync(userId, code, CancellationToken.None));

    private static Task<int?> ConsumeAsync(LatchkeyServerFactory factory, Guid userId, string code) =>
        factory.WithScopeAsync(s => s.GetRequiredService<RecoveryCodes>().TryConsumeAsync(userId, code, CancellationToken.None));
}
