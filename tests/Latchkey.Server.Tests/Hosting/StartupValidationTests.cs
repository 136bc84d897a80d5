using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>Bad configuration stops the real host at startup with the validator's message.</summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Latchkey:Storage:Provider", "Mongo", "Latchkey:Storage:Provider must be 'Sqlite' or 'PostgreSql' (got 'Mongo').")]
    [InlineData("Latchkey:Storage:Provider", "PostgreSql", "Latchkey:Storage:ConnectionString is required when Latchkey:Storage:Provider is 'PostgreSql'")]
    [InlineData("Latchkey:SimpleSso:BasePath", "/sso", "Latchkey:SimpleSso:BasePath must start and end with '/', e.g. '/sso/' (got '/sso').")]
    [InlineData("Latchkey:SimpleSso:TokenLifetime", "-00:01:00", "Latchkey:SimpleSso:TokenLifetime must be a positive duration")]
    public async Task Host_refuses_to_start(string key, string value, string expectedMessage)
    {
        await using var factory = new LatchkeyServerFactory().WithSetting(key, value);

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        var validation = FindValidationException(error);
        Assert.Contains(validation.Failures, failure => failure.StartsWith(expectedMessage, StringComparison.Ordinal));
        Assert.False(File.Exists(factory.SqliteFilePath), "no database should be touched before configuration is valid");
    }

    [Fact]
    public async Task Serve_prints_the_failures_and_exits_with_1()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "latchkey-tests", Guid.NewGuid().ToString("N"));

        var exitCode = await Latchkey.Server.Hosting.LatchkeyServer.ServeAsync(
        [
            $"--Latchkey:DataDirectory={dataDirectory}",
            "--Latchkey:SimpleSso:BasePath=nope",
            "--urls=http://127.0.0.1:0",
        ]);

        Assert.Equal(1, exitCode);
        Assert.False(File.Exists(Path.Combine(dataDirectory, "latchkey.db")));
    }

    private static OptionsValidationException FindValidationException(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException validation)
            {
                return validation;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault() is { } inner)
            {
                return inner;
            }
        }

        throw new Xunit.Sdk.XunitException($"Expected an OptionsValidationException, got: {error}");
    }
}
