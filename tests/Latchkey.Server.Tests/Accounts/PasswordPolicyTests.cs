using System.Buffers.Binary;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Accounts;

public sealed class PasswordPolicyTests
{
    [Fact]
    public void Default_pbkdf2_iteration_count_follows_owasp()
    {
        using var services = BuildServices([]);

        Assert.Equal(600_000, services.GetRequiredService<IOptions<PasswordHasherOptions>>().Value.IterationCount);
        Assert.Equal(PasswordHasherCompatibilityMode.IdentityV3, services.GetRequiredService<IOptions<PasswordHasherOptions>>().Value.CompatibilityMode);
    }

    [Fact]
    public void Iteration_count_is_configurable()
    {
        using var services = BuildServices(new() { ["Latchkey:Accounts:PasswordHashIterations"] = "750000" });

        Assert.Equal(750_000, services.GetRequiredService<IOptions<PasswordHasherOptions>>().Value.IterationCount);
    }

    [Fact]
    public void Defaults_are_lockout_after_5_failures_from_one_minute_doubling_to_an_hour_and_length_8_to_256()
    {
        using var services = BuildServices([]);
        var latchkey = services.GetRequiredService<IOptions<LatchkeyOptions>>().Value.Accounts;
        var identity = services.GetRequiredService<IOptions<IdentityOptions>>().Value;

        Assert.Equal(5, latchkey.Lockout.MaxFailedAttempts);
        Assert.Equal(5, identity.Lockout.MaxFailedAccessAttempts);
        Assert.Equal(TimeSpan.FromMinutes(1), latchkey.Lockout.BaseDuration);
        Assert.Equal(TimeSpan.FromHours(1), latchkey.Lockout.MaxDuration);
        Assert.True(identity.Lockout.AllowedForNewUsers);
        Assert.Equal(8, latchkey.Password.MinimumLength);
        Assert.Equal(256, latchkey.Password.MaximumLength);
        Assert.False(identity.Password.RequireDigit || identity.Password.RequireLowercase || identity.Password.RequireUppercase || identity.Password.RequireNonAlphanumeric);
        Assert.False(identity.User.RequireUniqueEmail);
    }

    [Fact]
    public async Task Stored_hashes_use_the_configured_iteration_count()
    {
        await using var factory = new LatchkeyServerFactory();
        await factory.CreateUserAsync("frank", "frank's password");

        var hash = Convert.FromBase64String((await factory.FindUserAsync("frank"))!.PasswordHash!);

        // Identity v3 format: 0x01 | PRF (4) | iterations (4, big-endian) | salt length (4) | salt | subkey.
        Assert.Equal(0x01, hash[0]);
        Assert.Equal(LatchkeyServerFactory.TestPasswordHashIterations, BinaryPrimitives.ReadInt32BigEndian(hash.AsSpan(5, 4)));
    }

    [Theory]
    [InlineData("short", false)]
    [InlineData("1234567", false)]
    [InlineData("abcdefgh", true)]
    [InlineData("correct horse battery staple", true)]
    public async Task Passwords_need_only_length(string password, bool accepted)
    {
        await using var factory = new LatchkeyServerFactory();

        var result = await factory.WithScopeAsync(services =>
            services.GetRequiredService<UserManager<LatchkeyUser>>().CreateAsync(new LatchkeyUser { UserName = "gina" }, password));

        Assert.Equal(accepted, result.Succeeded);
    }

    private static ServiceProvider BuildServices(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddLatchkeyCore();
        return services.BuildServiceProvider();
    }
}
