using Latchkey.Server.Hosting;

namespace Latchkey.Server.Tests.Hosting;

public sealed class LatchkeyOptionsValidatorTests
{
    private readonly LatchkeyOptionsValidator _validator = new();

    [Fact]
    public void Defaults_are_valid()
    {
        var result = _validator.Validate(null, new LatchkeyOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("PostgreSql")]
    [InlineData("postgresql")]
    public void Known_providers_are_accepted_case_insensitively(string provider)
    {
        var options = new LatchkeyOptions { Storage = { Provider = provider, ConnectionString = "Host=db" } };

        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("Mongo")]
    [InlineData("1")]
    [InlineData("")]
    [InlineData("Sqlite,PostgreSql")]
    public void Unknown_provider_is_named_in_the_error(string provider)
    {
        var result = _validator.Validate(null, new LatchkeyOptions { Storage = { Provider = provider } });

        Assert.Equal($"Latchkey:Storage:Provider must be 'Sqlite' or 'PostgreSql' (got '{provider}').", Assert.Single(result.Failures!));
    }

    [Fact]
    public void PostgreSql_without_connection_string_is_rejected()
    {
        var result = _validator.Validate(null, new LatchkeyOptions { Storage = { Provider = "PostgreSql" } });

        Assert.StartsWith("Latchkey:Storage:ConnectionString is required when Latchkey:Storage:Provider is 'PostgreSql'", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sso/")]
    [InlineData("/sso")]
    [InlineData("")]
    [InlineData("//sso/")]
    [InlineData("/sso/?x=1/")]
    public void Base_path_must_start_and_end_with_a_slash(string basePath)
    {
        var result = _validator.Validate(null, new LatchkeyOptions { SimpleSso = { BasePath = basePath } });

        Assert.Equal($"Latchkey:SimpleSso:BasePath must start and end with '/', e.g. '/sso/' (got '{basePath}').", Assert.Single(result.Failures!));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/sso/")]
    [InlineData("/auth/simple-sso/")]
    public void Good_base_paths_are_accepted(string basePath)
    {
        Assert.True(_validator.Validate(null, new LatchkeyOptions { SimpleSso = { BasePath = basePath } }).Succeeded);
    }

    [Fact]
    public void Non_positive_durations_and_sizes_are_each_reported()
    {
        var options = new LatchkeyOptions
        {
            SimpleSso = { TokenLifetime = TimeSpan.Zero, SweepInterval = TimeSpan.FromSeconds(-1), ClockSkew = TimeSpan.FromSeconds(-5), MaxBodyBytes = 0 },
            Accounts = { PasswordHashIterations = 0 },
        };

        var failures = _validator.Validate(null, options).Failures!.ToList();

        Assert.Equal(5, failures.Count);
        Assert.Contains("Latchkey:SimpleSso:TokenLifetime must be a positive duration such as 00:05:00 (got 00:00:00).", failures);
        Assert.Contains("Latchkey:SimpleSso:SweepInterval must be a positive duration such as 00:05:00 (got -00:00:01).", failures);
        Assert.Contains("Latchkey:SimpleSso:ClockSkew must not be negative (got -00:00:05).", failures);
        Assert.Contains("Latchkey:SimpleSso:MaxBodyBytes must be positive (got 0).", failures);
        Assert.Contains(failures, f => f.StartsWith("Latchkey:Accounts:PasswordHashIterations must be positive (got 0)", StringComparison.Ordinal));
    }

    [Fact]
    public void Zero_clock_skew_is_allowed()
    {
        Assert.True(_validator.Validate(null, new LatchkeyOptions { SimpleSso = { ClockSkew = TimeSpan.Zero } }).Succeeded);
    }
}
