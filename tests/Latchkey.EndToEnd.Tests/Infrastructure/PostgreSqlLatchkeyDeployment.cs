using System.Security.Cryptography;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The same deployment with the server's storage on PostgreSQL, in a fresh database created by the
/// real <c>latchkey migrate</c>. Available only when <c>LATCHKEY_TEST_POSTGRES</c> holds a base
/// connection string (.ci/run provides one); otherwise nothing starts and the tests skip.
/// </summary>
public sealed class PostgreSqlLatchkeyDeployment : LatchkeyDeployment
{
    public const string EnvironmentVariable = "LATCHKEY_TEST_POSTGRES";

    public PostgreSqlLatchkeyDeployment()
        : base(ConnectionStringFromEnvironment())
    {
    }

    public static bool IsConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));

    public override ValueTask InitializeAsync() => IsConfigured ? base.InitializeAsync() : ValueTask.CompletedTask;

    private static string? ConnectionStringFromEnvironment()
    {
        var baseConnectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(baseConnectionString)
            ? null
            : baseConnectionString.TrimEnd(';') + ";Database=latchkey_e2e_" + RandomNumberGenerator.GetHexString(12, lowercase: true);
    }
}
