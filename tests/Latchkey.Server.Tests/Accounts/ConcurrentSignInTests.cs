using System.Net;
using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Accounts;

/// <summary>
/// Sign-ins of one user racing each other. The scoped tests reproduce the races deterministically: each "request" is a
/// DI scope that loads the user (as the login page does) before another request writes the same row.
/// </summary>
public sealed class ConcurrentSignInTests
{
    private const string Password = "correct horse battery";

    public static TheoryData<LatchkeyTestStorage> Providers => [LatchkeyTestStorage.Sqlite, LatchkeyTestStorage.PostgreSql];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_correct_password_succeeds_although_a_wrong_one_wrote_the_user_after_it_was_loaded(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await factory.CreateUserAsync("alice", Password);
        await FailOnceAsync(factory, "alice");

        await using var right = Request.Begin(factory);
        var staleAlice = await right.LoadAsync("alice");
        await FailOnceAsync(factory, "alice");

        var result = await right.SignIns.CheckPasswordSignInAsync(staleAlice, Password, lockoutOnFailure: true);

        Assert.True(result.Succeeded, result.ToString());
        await right.Db.SaveChangesAsync(); // what the session start does next in the same request: nothing stale may be left
        Assert.Equal(0, (await factory.FindUserAsync("alice"))!.AccessFailedCount);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Racing_wrong_passwords_are_each_counted(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await factory.CreateUserAsync("alice", Password);
        var requests = Enumerable.Range(0, 3).Select(_ => Request.Begin(factory)).ToList();
        var loaded = new List<LatchkeyUser>();
        foreach (var request in requests)
        {
            loaded.Add(await request.LoadAsync("alice"));
        }

        for (var i = 0; i < requests.Count; i++)
        {
            var result = await requests[i].SignIns.CheckPasswordSignInAsync(loaded[i], "wrong password", lockoutOnFailure: true);
            Assert.False(result.Succeeded);
        }

        Assert.Equal(3, (await factory.FindUserAsync("alice"))!.AccessFailedCount);
        foreach (var request in requests)
        {
            await request.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Racing_wrong_passwords_lock_the_account_and_a_correct_password_loaded_before_the_lockout_is_refused(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await factory.CreateUserAsync("alice", Password);
        var requests = Enumerable.Range(0, 5).Select(_ => Request.Begin(factory)).ToList();
        var loaded = new List<LatchkeyUser>();
        foreach (var request in requests)
        {
            loaded.Add(await request.LoadAsync("alice"));
        }

        await using var right = Request.Begin(factory);
        var staleAlice = await right.LoadAsync("alice");
        var results = new List<SignInResult>();
        for (var i = 0; i < requests.Count; i++)
        {
            results.Add(await requests[i].SignIns.CheckPasswordSignInAsync(loaded[i], "wrong password", lockoutOnFailure: true));
        }

        var late = await right.SignIns.CheckPasswordSignInAsync(staleAlice, Password, lockoutOnFailure: true);

        Assert.All(results, r => Assert.False(r.Succeeded));
        Assert.True(results[^1].IsLockedOut);
        Assert.False(late.Succeeded);
        Assert.True(late.IsLockedOut);
        var stored = (await factory.FindUserAsync("alice"))!;
        Assert.NotNull(stored.LockoutEnd);
        foreach (var request in requests)
        {
            await request.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Two_correct_passwords_that_both_need_a_rehash_both_succeed_and_leave_nothing_stale(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await factory.CreateUserAsync("alice", Password);
        var weakHash = await factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var alice = (await users.FindByNameAsync("alice"))!;
            var weaker = new PasswordHasher<LatchkeyUser>(Options.Create(new PasswordHasherOptions
            {
                IterationCount = LatchkeyServerFactory.TestPasswordHashIterations / 2,
            }));
            alice.PasswordHash = weaker.HashPassword(alice, Password);
            Assert.True((await users.UpdateAsync(alice)).Succeeded);
            return alice.PasswordHash;
        });

        await using var first = Request.Begin(factory);
        await using var second = Request.Begin(factory);
        var aliceOfFirst = await first.LoadAsync("alice");
        var aliceOfSecond = await second.LoadAsync("alice");

        var firstResult = await first.SignIns.CheckPasswordSignInAsync(aliceOfFirst, Password, lockoutOnFailure: true);
        var secondResult = await second.SignIns.CheckPasswordSignInAsync(aliceOfSecond, Password, lockoutOnFailure: true);

        Assert.True(firstResult.Succeeded);
        Assert.True(secondResult.Succeeded);
        await first.Db.SaveChangesAsync();
        await second.Db.SaveChangesAsync(); // before the fix: DbUpdateConcurrencyException, i.e. a 500 on the login page
        var stored = (await factory.FindUserAsync("alice"))!;
        Assert.NotEqual(weakHash, stored.PasswordHash);
        Assert.True(await factory.WithScopeAsync(async services =>
            await services.GetRequiredService<UserManager<LatchkeyUser>>().CheckPasswordAsync(stored, Password)));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_wrong_password_stays_wrong_when_its_user_row_changes_underneath(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await factory.CreateUserAsync("alice", Password);
        await FailOnceAsync(factory, "alice");

        await using var wrong = Request.Begin(factory);
        var staleAlice = await wrong.LoadAsync("alice");
        using (var success = await LoginForm.SubmitAsync(factory.CreateBrowser(), "alice", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, success.StatusCode);
        }

        var result = await wrong.SignIns.CheckPasswordSignInAsync(staleAlice, "wrong password", lockoutOnFailure: true);

        Assert.False(result.Succeeded);
        Assert.Equal(1, (await factory.FindUserAsync("alice"))!.AccessFailedCount);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_user_deleted_after_being_loaded_signs_in_with_neither_password_and_throws_nothing(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        await factory.CreateUserAsync("alice", Password);
        await FailOnceAsync(factory, "alice");
        await using var right = Request.Begin(factory);
        await using var wrong = Request.Begin(factory);
        var aliceOfRight = await right.LoadAsync("alice");
        var aliceOfWrong = await wrong.LoadAsync("alice");
        await factory.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            Assert.True((await users.DeleteAsync((await users.FindByNameAsync("alice"))!)).Succeeded);
        });

        var rightResult = await right.SignIns.CheckPasswordSignInAsync(aliceOfRight, Password, lockoutOnFailure: true);
        var wrongResult = await wrong.SignIns.CheckPasswordSignInAsync(aliceOfWrong, "wrong password", lockoutOnFailure: true);

        Assert.False(rightResult.Succeeded);
        Assert.False(wrongResult.Succeeded);
        await right.Db.SaveChangesAsync();
        await wrong.Db.SaveChangesAsync();
        Assert.Null(await factory.FindUserAsync("alice"));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Parallel_right_and_wrong_passwords_through_the_login_form_each_get_their_own_answer(LatchkeyTestStorage storage)
    {
        // Lockout out of the way: this is about the race, not the limit.
        await using var factory = LatchkeyServerFactory.For(storage)
            .WithServices(services => services.Configure<IdentityOptions>(o => o.Lockout.MaxFailedAccessAttempts = 10_000));
        await factory.CreateUserAsync("alice", Password);

        for (var round = 0; round < 4; round++)
        {
            var attempts = Enumerable.Range(0, 6)
                .Select(i => (Right: i % 3 == 0, Task: LoginForm.SubmitAsync(factory.CreateBrowser(), "alice", i % 3 == 0 ? Password : "wrong password " + i)))
                .ToList();
            await Task.WhenAll(attempts.Select(a => a.Task));

            foreach (var (right, task) in attempts)
            {
                using var response = await task;
                if (right)
                {
                    Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var page = await HtmlForms.ParseAsync(response);
                    Assert.Equal(Pages.Account.LoginModel.InvalidCredentialsMessage, page.QuerySelector("#login-error")?.TextContent.Trim());
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Parallel_wrong_passwords_through_the_login_form_are_all_counted(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage)
            .WithServices(services => services.Configure<IdentityOptions>(o => o.Lockout.MaxFailedAccessAttempts = 10_000));
        await factory.CreateUserAsync("alice", Password);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => LoginForm.SubmitAsync(factory.CreateBrowser(), "alice", "wrong password " + i)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(8, (await factory.FindUserAsync("alice"))!.AccessFailedCount);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    private static async Task FailOnceAsync(LatchkeyServerFactory factory, string userName)
    {
        await using var request = Request.Begin(factory);
        var user = await request.LoadAsync(userName);
        var result = await request.SignIns.CheckPasswordSignInAsync(user, "wrong password", lockoutOnFailure: true);
        Assert.False(result.Succeeded);
    }

    /// <summary>One request's scope: its own DbContext, user manager and sign-in manager, as the login page gets them.</summary>
    private sealed class Request : IAsyncDisposable
    {
        private readonly AsyncServiceScope _scope;

        private Request(AsyncServiceScope scope) => _scope = scope;

        public static Request Begin(LatchkeyServerFactory factory) => new(factory.Services.CreateAsyncScope());

        public LatchkeySignInManager SignIns => _scope.ServiceProvider.GetRequiredService<LatchkeySignInManager>();

        public LatchkeyDbContext Db => _scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();

        public async Task<LatchkeyUser> LoadAsync(string userName) =>
            await _scope.ServiceProvider.GetRequiredService<UserManager<LatchkeyUser>>().FindByNameAsync(userName)
            ?? throw new InvalidOperationException($"No user {userName}.");

        public ValueTask DisposeAsync() => _scope.DisposeAsync();
    }
}
