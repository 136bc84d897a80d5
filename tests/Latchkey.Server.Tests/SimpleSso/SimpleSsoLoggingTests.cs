using System.Collections.Concurrent;
using System.Net;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Latchkey.Server.Tests.SimpleSso.SimpleSsoServerFixture;

namespace Latchkey.Server.Tests.SimpleSso;

/// <summary>No token, key or signature reaches the logs, at the levels production runs with and below.</summary>
public sealed class SimpleSsoLoggingTests
{
    [Fact]
    public async Task A_full_login_and_its_failures_log_no_secret()
    {
        var sink = new CapturingLoggerProvider();
        await using var factory = new LatchkeyServerFactory(useFakeTime: true)
            .WithSetting("Logging:LogLevel:Default", "Debug")
            .WithSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning")
            .WithServices(services => services.AddSingleton<ILoggerProvider>(sink));
        var created = await factory.CreateConsumerAsync("logged", Origin);
        var keys = new SsoKeys(created.PublicKey, created.PrivateKey);
        await factory.CreateUserAsync("carol", Password);
        var browser = await factory.SignInAsync("carol", Password);
        var wire = new SimpleSsoWire(factory.CreateClient());
        var now = factory.Time!.GetUtcNow();

        var requestToken = await wire.GetRequestTokenAsync(keys, RedirectTo, now);
        using var authorize = await browser.GetAsync("/sso/authorize/?token=" + requestToken, TestContext.Current.CancellationToken);
        var signedAccessToken = SignedAccessTokenOf(authorize);
        var accessToken = SimpleSsoWire.OpenAccessToken(signedAccessToken, keys.PrivateKey);
        using var verified = await wire.VerifyAsync(keys, accessToken, now);
        using var replayed = await wire.VerifyAsync(keys, accessToken, now);
        using var reauthorized = await browser.GetAsync("/sso/authorize/?token=" + requestToken, TestContext.Current.CancellationToken);
        using var forged = await wire.VerifyAsync(keys with { PrivateKey = "not-the-key" }, accessToken, now);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, replayed.StatusCode);

        var logs = sink.Messages.ToArray();
        Assert.Contains(logs, m => m.Contains("request token issued", StringComparison.Ordinal));
        Assert.Contains(logs, m => m.Contains("verified for user", StringComparison.Ordinal));
        Assert.Contains(logs, m => m.Contains("Token already used", StringComparison.Ordinal));
        string[] secrets = [requestToken, accessToken, signedAccessToken, keys.PrivateKey, signedAccessToken.Split('.')[^1]];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(logs, m => m.Contains(secret, StringComparison.Ordinal));
        }
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var structured = state is IEnumerable<KeyValuePair<string, object?>> values
                    ? string.Join(" ", values.Select(v => $"{v.Key}={v.Value}"))
                    : "";
                provider.Messages.Enqueue($"{category} {formatter(state, exception)} {structured} {exception}");
            }
        }
    }
}
