using Latchkey.Server.Hosting.RateLimiting;
using Latchkey.Server.Scaling;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Scaling;

public sealed class ScalingConfigurationTests
{
    [Fact]
    public async Task Without_Redis_a_node_uses_the_in_process_bus_and_in_memory_rate_limits()
    {
        await using var factory = new LatchkeyServerFactory();

        Assert.IsType<InProcessClusterBus>(factory.Services.GetRequiredService<IClusterBus>());
        Assert.IsType<InMemoryRateLimitPartitionFactory>(factory.Services.GetRequiredService<IRateLimitPartitionFactory>());
    }

    [Fact]
    public async Task With_Redis_a_node_uses_the_Redis_bus_and_shared_rate_limits()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Redis", RedisTestServer.ConnectionStringOrSkip());

        Assert.IsType<RedisClusterBus>(factory.Services.GetRequiredService<IClusterBus>());
        Assert.IsType<RedisRateLimitPartitionFactory>(factory.Services.GetRequiredService<IRateLimitPartitionFactory>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:6379,nonsense=1")]
    [InlineData("password=only")]
    public async Task A_malformed_Redis_setting_stops_startup_and_names_the_key(string value)
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Redis", value);

        var error = Assert.Throws<OptionsValidationException>(() => factory.Services);
        Assert.Contains("Latchkey:Redis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_Redis_does_not_stop_a_node_which_signs_people_in_and_ends_sessions()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Redis", RedisTestServer.Unreachable());
        await factory.CreateUserAsync("dora", "correct horse battery");

        var browser = await factory.SignInAsync("dora", "correct horse battery");
        using var consents = await browser.GetAsync("/account/consents", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, consents.StatusCode);
        Assert.False(factory.Services.GetRequiredService<IClusterBus>().IsConnected);

        using var logout = await Latchkey.Server.Tests.Sessions.SsoSessionTests.SubmitLogoutAsync(browser);
        Assert.True((int)logout.StatusCode < 500, $"logout answered {(int)logout.StatusCode}");
        using var after = await browser.GetAsync("/account/consents", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, after.StatusCode);
    }
}
