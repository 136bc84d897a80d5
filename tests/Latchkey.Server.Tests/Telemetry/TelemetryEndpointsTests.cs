using System.Net;
using System.Text.Json;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Tests.Telemetry;

/// <summary>/metrics, /health/live, /health/ready and the JSON log format, on a real socket where the client address matters.</summary>
public sealed class TelemetryEndpointsTests
{
    [Fact]
    public async Task Metrics_are_served_to_loopback_with_latchkey_counters_and_request_latency()
    {
        await using var factory = new LatchkeyServerFactory();
        var baseAddress = factory.UseRealKestrel();
        using var http = new HttpClient { BaseAddress = baseAddress };
        await factory.WithScopeAsync(services => services.GetRequiredService<IAuditLog>().AppendAsync(
            new AuditRecord("signin.failed", AuditOutcome.Failure) { Details = new Dictionary<string, string> { ["reason"] = "bad_password" } }));
        await factory.WithScopeAsync(services => services.GetRequiredService<IAuditLog>().AppendAsync(
            new AuditRecord(AuditEvents.TokenIssued, AuditOutcome.Success) { Details = new Dictionary<string, string> { ["grant_type"] = "client_credentials" } }));
        using (await http.GetAsync("/health/live", TestContext.Current.CancellationToken))
        {
        }

        // The exporter caches a scrape for a short while; the second scrape sees everything recorded before the first.
        using var first = await http.GetAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var text = await RetryScrapeAsync(http, body => body.Contains("latchkey_sessions_active", StringComparison.Ordinal));

        Assert.Contains("latchkey_signin_failures_total{", text, StringComparison.Ordinal);
        Assert.Contains("reason=\"bad_password\"", text, StringComparison.Ordinal);
        Assert.Contains("latchkey_tokens_issued_total{", text, StringComparison.Ordinal);
        Assert.Contains("grant=\"client_credentials\"", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_hidden_from_clients_outside_the_allowed_networks()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Telemetry:MetricsAllowedNetworks:0", "10.0.0.0/8");
        var baseAddress = factory.UseRealKestrel();
        using var http = new HttpClient { BaseAddress = baseAddress };

        using var response = await http.GetAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("latchkey_", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_and_ready_answer_json_when_the_database_is_current()
    {
        await using var factory = new LatchkeyServerFactory();
        using var http = factory.CreateClient();

        using var live = await http.GetAsync("/health/live", TestContext.Current.CancellationToken);
        using var ready = await http.GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("application/json; charset=utf-8", live.Content.Headers.ContentType!.ToString());
        Assert.Equal("Healthy", JsonDocument.Parse(await live.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task Ready_is_503_while_a_migration_is_pending_and_live_stays_200(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage);
        using var http = factory.CreateClient();
        await factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            var last = (await db.Database.GetAppliedMigrationsAsync()).Last();
            await db.Database.ExecuteSqlAsync($"DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = {last}");
        });

        using var ready = await http.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        using var live = await http.GetAsync("/health/live", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.Contains("pending migration", body.GetProperty("checks").GetProperty("database").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Ready_is_503_when_the_database_cannot_be_reached()
    {
        await using var factory = new LatchkeyServerFactory();
        using var http = factory.CreateClient();
        _ = factory.Services;
        // The server started on its database; now the file's folder is gone and cannot be recreated (a file is in the way).
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var moved = factory.DataDirectory + ".moved";
        Directory.Move(factory.DataDirectory, moved);
        await File.WriteAllTextAsync(factory.DataDirectory, "not a directory", TestContext.Current.CancellationToken);
        try
        {
            using var ready = await http.GetAsync("/health/ready", TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Contains("database unreachable", body, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(factory.DataDirectory);
            Directory.Move(moved, factory.DataDirectory);
        }
    }

    [Fact]
    public async Task Json_log_format_selects_the_json_console_formatter()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Logging:Format", "json");

        var console = factory.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;

        Assert.Equal(ConsoleFormatterNames.Json, console.FormatterName);
    }

    [Theory]
    [InlineData("--Latchkey:Logging:Format=xml")]
    [InlineData("--Latchkey:Telemetry:OtlpEndpoint=collector:4317")]
    [InlineData("--Latchkey:Telemetry:MetricsAllowedNetworks:0=10.0.0.0/99")]
    public async Task Serve_refuses_bad_telemetry_settings_with_exit_code_1(string setting)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "latchkey-tests", Guid.NewGuid().ToString("N"));

        var exitCode = await Latchkey.Server.Hosting.LatchkeyServer.ServeAsync([$"--Latchkey:DataDirectory={dataDirectory}", setting, "--urls=http://127.0.0.1:0"]);

        Assert.Equal(1, exitCode);
    }

    [Fact]
    public void Validators_name_the_bad_setting()
    {
        var telemetry = new Latchkey.Server.Telemetry.TelemetryOptionsValidator().Validate(null, new Latchkey.Server.Telemetry.TelemetryOptions
        {
            OtlpEndpoint = "collector:4317",
            MetricsAllowedNetworks = ["10.0.0.0/8", "192.168.1.7", "::1", "10.0.0.0/99", "localhost"],
        });
        var logging = new Latchkey.Server.Telemetry.LoggingFormatOptionsValidator().Validate(null, new Latchkey.Server.Telemetry.LoggingFormatOptions { Format = "xml" });

        Assert.Equal(3, telemetry.Failures!.Count());
        Assert.Contains(telemetry.Failures!, f => f.Contains("OtlpEndpoint", StringComparison.Ordinal));
        Assert.Contains(telemetry.Failures!, f => f.Contains("'10.0.0.0/99'", StringComparison.Ordinal));
        Assert.Contains(telemetry.Failures!, f => f.Contains("'localhost'", StringComparison.Ordinal));
        Assert.Contains("Latchkey:Logging:Format", logging.FailureMessage, StringComparison.Ordinal);
        Assert.True(new Latchkey.Server.Telemetry.LoggingFormatOptionsValidator().Validate(null, new Latchkey.Server.Telemetry.LoggingFormatOptions { Format = "JSON" }).Succeeded);
    }

    private static async Task<string> RetryScrapeAsync(HttpClient http, Func<string, bool> complete)
    {
        var text = "";
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var response = await http.GetAsync("/metrics", TestContext.Current.CancellationToken);
            text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (complete(text))
            {
                return text;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return text;
    }
}
