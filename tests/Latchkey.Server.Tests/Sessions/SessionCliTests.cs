using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Cli;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Sessions;

/// <summary><c>--max-session-age</c> and <c>--backchannel-logout-url</c> on <c>consumers add/update</c>.</summary>
public sealed class SessionCliTests : IDisposable
{
    private readonly CliTestEnvironment _cli = new();

    public void Dispose() => _cli.Dispose();

    private Task<Consumer> ConsumerAsync(string name) =>
        _cli.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Consumers.AsNoTracking().SingleAsync(c => c.Name == name));

    [Fact]
    public async Task Consumers_add_and_update_set_and_clear_the_session_settings()
    {
        var add = await _cli.RunAsync("consumers", "add", "wiki", "--redirect-origin", "https://wiki.example",
            "--max-session-age", "30m", "--backchannel-logout-url", "https://wiki.example/sso/backchannel-logout/");
        Assert.Equal(0, add.ExitCode);
        var wiki = await ConsumerAsync("wiki");
        Assert.Equal((TimeSpan?)TimeSpan.FromMinutes(30), wiki.MaxSessionAge);
        Assert.Equal("https://wiki.example/sso/backchannel-logout/", wiki.BackChannelLogoutUrl);

        var update = await _cli.RunAsync("consumers", "update", "wiki", "--max-session-age", "none", "--backchannel-logout-url", "none");
        Assert.Equal(0, update.ExitCode);
        Assert.Contains("no maximum session age, no back-channel logout URL", update.Output, StringComparison.Ordinal);
        wiki = await ConsumerAsync("wiki");
        Assert.Equal((null, null), (wiki.MaxSessionAge, wiki.BackChannelLogoutUrl));
    }

    [Theory]
    [InlineData("--backchannel-logout-url", "https://evil.example/logout", "under one of the consumer's redirect origins")]
    [InlineData("--backchannel-logout-url", "ftp://wiki.example/x", "not an absolute http(s) URL")]
    [InlineData("--max-session-age", "soon", "not a duration")]
    [InlineData("--max-session-age", "10s", "between 1 minute and 365 days")]
    public async Task Bad_values_fail_with_a_message_and_change_nothing(string option, string value, string message)
    {
        Assert.Equal(0, (await _cli.RunAsync("consumers", "add", "wiki", "--redirect-origin", "https://wiki.example")).ExitCode);

        var run = await _cli.RunAsync("consumers", "update", "wiki", option, value);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        var wiki = await ConsumerAsync("wiki");
        Assert.Equal((null, null), (wiki.MaxSessionAge, wiki.BackChannelLogoutUrl));
    }

    [Fact]
    public async Task Clients_update_sets_and_clears_the_max_session_age()
    {
        Assert.Equal(0, (await _cli.RunAsync("clients", "add", "hr", "--type", "public", "--redirect-uri", "https://hr.example/cb", "--grant", "authorization_code", "--scope", "openid")).ExitCode);

        var set = await _cli.RunAsync("clients", "update", "hr", "--max-session-age", "15m");
        Assert.Equal(0, set.ExitCode);
        Assert.Equal((TimeSpan?)TimeSpan.FromMinutes(15), await MaxAgeAsync("hr"));
        Assert.Equal(0, (await _cli.RunAsync("clients", "update", "hr", "--max-session-age", "none")).ExitCode);
        Assert.Null(await MaxAgeAsync("hr"));
        var unknown = await _cli.RunAsync("clients", "update", "nope", "--max-session-age", "15m");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("no client with client_id 'nope'", unknown.Error, StringComparison.Ordinal);
    }

    private Task<TimeSpan?> MaxAgeAsync(string clientId) =>
        _cli.WithScopeAsync(services => services.GetRequiredService<Latchkey.Server.Sessions.AppSessionAge>().MaxAgeAsync("oidc", clientId, CancellationToken.None));
}
