using System.Globalization;
using System.Net;
using System.Security.Claims;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Latchkey.Server.Tests.Sessions.SsoSessionTests;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>Idle timeout, absolute lifetime, "keep me signed in", the sweeper and per-app session age — all on a FakeTimeProvider.</summary>
public sealed class SessionLifetimeTests
{
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LatchkeyServerFactory NewServer(LatchkeyTestStorage storage = LatchkeyTestStorage.Sqlite)
    {
        var factory = LatchkeyServerFactory.For(storage, useFakeTime: true)
            .WithSetting("Latchkey:Sessions:IdleTimeout", "00:30:00")
            .WithSetting("Latchkey:Sessions:AbsoluteLifetime", "02:00:00")
            .WithSetting("Latchkey:Sessions:RememberMeIdleTimeout", "7.00:00:00")
            .WithSetting("Latchkey:Sessions:RememberMeAbsoluteLifetime", "30.00:00:00");
        factory.WithServices(SessionTestEndpoints.Register);

        // A persistent cookie's expiry comes from the fake clock; the test's cookie jar drops cookies that expired by
        // the real clock, so the fake clock is moved well past it first (nothing here depends on the real time).
        factory.Time!.Advance(DateTimeOffset.UtcNow - factory.Time.GetUtcNow() + TimeSpan.FromDays(400));
        return factory;
    }

    private static async Task<HttpClient> SignInAsync(LatchkeyServerFactory factory, string userName, bool rememberMe)
    {
        var browser = factory.CreateBrowser();
        var pageUri = new Uri(browser.BaseAddress!, "/account/login");
        using var page = await browser.GetAsync(pageUri, Ct);
        var document = await HtmlForms.ParseAsync(page);
        Assert.NotNull(document.QuerySelector("input[name=rememberMe]"));
        using var login = await HtmlForms.SubmitAsync(browser, document, pageUri, new Dictionary<string, string?>
        {
            ["username"] = userName,
            ["password"] = Password,
            ["rememberMe"] = rememberMe ? "true" : null,
        });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return browser;
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task A_session_idle_longer_than_the_idle_timeout_is_refused_and_ended(LatchkeyTestStorage storage)
    {
        await using var factory = NewServer(storage);
        var user = await factory.CreateUserAsync("idle", Password);
        var browser = await SignInAsync(factory, "idle", rememberMe: false);

        factory.Time!.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(await SignedInNameAsync(browser));
        factory.Time.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(await SignedInNameAsync(browser));
        factory.Time.Advance(TimeSpan.FromMinutes(31));

        Assert.Null(await SignedInNameAsync(browser));
        var session = Assert.Single(await SessionsOfAsync(factory, user.Id));
        Assert.Equal(SsoSessionEndReasons.IdleTimeout, session.EndReason);
        Assert.False(session.IsPersistent);
    }

    [Fact]
    public async Task An_active_session_still_ends_at_its_absolute_lifetime()
    {
        await using var factory = NewServer();
        var user = await factory.CreateUserAsync("busy", Password);
        var browser = await SignInAsync(factory, "busy", rememberMe: false);

        for (var i = 0; i < 7; i++)
        {
            factory.Time!.Advance(TimeSpan.FromMinutes(17));
            Assert.NotNull(await SignedInNameAsync(browser));
        }

        factory.Time!.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await SignedInNameAsync(browser));
        Assert.Equal(SsoSessionEndReasons.Expired, Assert.Single(await SessionsOfAsync(factory, user.Id)).EndReason);
    }

    [Fact]
    public async Task Keep_me_signed_in_gives_a_persistent_cookie_and_the_longer_bounds()
    {
        await using var factory = NewServer();
        var user = await factory.CreateUserAsync("keeper", Password);
        var browser = factory.CreateBrowser();
        var pageUri = new Uri(browser.BaseAddress!, "/account/login");
        using (var page = await browser.GetAsync(pageUri, Ct))
        {
            using var login = await HtmlForms.SubmitAsync(browser, await HtmlForms.ParseAsync(page), pageUri, new Dictionary<string, string?>
            {
                ["username"] = "keeper",
                ["password"] = Password,
                ["rememberMe"] = "true",
            });
            var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("latchkey.session=", StringComparison.Ordinal));
            Assert.Contains("expires=", cookie, StringComparison.OrdinalIgnoreCase);
        }

        Assert.True(Assert.Single(await SessionsOfAsync(factory, user.Id)).IsPersistent);
        factory.Time!.Advance(TimeSpan.FromDays(6));
        Assert.NotNull(await SignedInNameAsync(browser));
        factory.Time.Advance(TimeSpan.FromDays(6));
        Assert.NotNull(await SignedInNameAsync(browser));
        factory.Time.Advance(TimeSpan.FromDays(8));
        Assert.Null(await SignedInNameAsync(browser));
        Assert.Equal(SsoSessionEndReasons.IdleTimeout, Assert.Single(await SessionsOfAsync(factory, user.Id)).EndReason);
    }

    [Fact]
    public async Task Without_keep_me_signed_in_the_cookie_ends_with_the_browser()
    {
        await using var factory = NewServer();
        await factory.CreateUserAsync("plain", Password);
        var browser = factory.CreateBrowser();
        using var login = await LoginForm.SubmitAsync(browser, "plain", Password);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("latchkey.session=", StringComparison.Ordinal));
        Assert.DoesNotContain("expires=", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_sweeper_ends_timed_out_sessions_with_logouts_and_deletes_old_rows_after_the_retention()
    {
        // The background sweeper would run on its own as the fake clock moves; this test drives it by hand.
        await using var factory = NewServer().WithSetting("Latchkey:Sessions:Retention", "1.00:00:00").WithSetting("Latchkey:Sessions:SweepInterval", "1.00:00:00");
        var user = await factory.CreateUserAsync("swept", Password);
        await SignInAsync(factory, "swept", rememberMe: false);
        var kept = await SignInAsync(factory, "swept", rememberMe: true);
        var sweeper = factory.Services.GetRequiredService<SsoSessionSweeper>();

        factory.Time!.Advance(TimeSpan.FromMinutes(31));
        var first = await sweeper.SweepAsync(Ct);

        Assert.Equal(new SessionSweepResult(1, 0, 0), first);
        var sessions = await SessionsOfAsync(factory, user.Id);
        Assert.Equal(SsoSessionEndReasons.IdleTimeout, sessions.Single(s => !s.IsPersistent).EndReason);
        Assert.Null(sessions.Single(s => s.IsPersistent).EndedAt);

        await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            db.Add(new LogoutDelivery
            {
                Id = Guid.NewGuid(), SessionId = sessions[0].Id, Channel = "test", ClientId = "c", Endpoint = "https://c.example/",
                Subject = user.Id.ToString("D"), CreatedAt = factory.Time.GetUtcNow(), NextAttemptAt = factory.Time.GetUtcNow(),
                CompletedAt = factory.Time.GetUtcNow(), Status = LogoutDeliveryStatus.Delivered,
            });
            await db.SaveChangesAsync(Ct);
        });

        factory.Time.Advance(TimeSpan.FromHours(23));
        Assert.NotNull(await SignedInNameAsync(kept));
        Assert.Equal(new SessionSweepResult(0, 0, 0), await sweeper.SweepAsync(Ct));
        // The background sweeper's own daily tick falls in this step, so only the resulting state is asserted.
        factory.Time.Advance(TimeSpan.FromHours(2));
        await sweeper.SweepAsync(Ct);
        Assert.True(Assert.Single(await SessionsOfAsync(factory, user.Id)).IsPersistent);
        Assert.Equal(0, await factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<LogoutDelivery>().CountAsync(Ct)));
    }

    [Theory]
    [InlineData("00:00:00", "00:30:00", "Latchkey:Sessions:IdleTimeout must be positive")]
    [InlineData("03:00:00", "02:00:00", "must not exceed Latchkey:Sessions:AbsoluteLifetime")]
    [InlineData("20.00:00:00", "40.00:00:00", "RememberMe bounds must not be shorter")]
    public void Bad_lifetimes_are_refused(string idle, string absolute, string message)
    {
        var options = new SessionLifetimeOptions { IdleTimeout = TimeSpan.Parse(idle, CultureInfo.InvariantCulture), AbsoluteLifetime = TimeSpan.Parse(absolute, CultureInfo.InvariantCulture) };

        var result = new SessionLifetimeOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new SessionLifetimeOptionsValidator().Validate(null, new SessionLifetimeOptions()).Succeeded);
    }

    [Fact]
    public async Task A_consumer_max_session_age_counts_from_the_last_authentication()
    {
        await using var factory = NewServer();
        await factory.CreateUserAsync("aged", Password);
        await factory.CreateConsumerAsync("strict", "https://strict.example");
        await factory.CreateConsumerAsync("lax", "https://lax.example");
        await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            await db.Consumers.Where(c => c.Name == "strict").ExecuteUpdateAsync(s => s.SetProperty(c => c.MaxSessionAge, TimeSpan.FromMinutes(10)), Ct);
        });

        var authenticatedAt = factory.Time!.GetUtcNow();
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("auth_time", authenticatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))], "test"));
        Task<bool> TooOld(string consumer) => factory.WithScopeAsync(services =>
            services.GetRequiredService<AppSessionAge>().IsTooOldAsync(SsoProtocols.SimpleSso, consumer, principal, Ct));

        // auth_time has whole seconds: a second of margin either side.
        factory.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.False(await TooOld("strict"));
        factory.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await TooOld("strict"));
        Assert.False(await TooOld("lax"));
        Assert.False(await TooOld("unknown"));
    }
}
