using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Latchkey.Server.Tests.Cli;

/// <summary>
/// The built <c>latchkey.dll</c> as a real process: real stdin/stdout/stderr, real exit codes, and the
/// server started by the same executable seeing what the commands wrote.
/// </summary>
public sealed class CliProcessTests : IDisposable
{
    private static readonly string LatchkeyDll = typeof(Latchkey.Server.Cli.LatchkeyCli).Assembly.Location;
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("latchkey-cli-process-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleaner.
        }
    }

    [Fact]
    public async Task Commands_write_only_their_result_to_stdout_and_the_server_sees_their_changes()
    {
        var add = await RunAsync(["users", "add", "root", "--email", "root@example.com", "--password-stdin", "--admin"], "root-password-123\n");
        Assert.Equal(0, add.ExitCode);

        var consumer = await RunAsync(["consumers", "add", "site", "--redirect-origin", "https://site.example.com", "--json"]);
        Assert.Equal(0, consumer.ExitCode);
        // Logs (EF Core, Data Protection warnings) must not reach stdout: scripts parse it.
        var line = Assert.Single(consumer.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using (var json = JsonDocument.Parse(line))
        {
            Assert.Equal(["name", "public_key", "private_key"], json.RootElement.EnumerateObject().Select(p => p.Name));
        }

        var unknown = await RunAsync(["users", "disable", "ghost"]);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("latchkey: cannot disable user 'ghost': No user named 'ghost'.", unknown.Error.Trim());

        var usage = await RunAsync(["consumers", "add"]);
        Assert.Equal(2, usage.ExitCode);

        // No command: the same executable serves, with ASP.NET Core switches passed through.
        var port = FreePort();
        using var server = Start([$"--urls", $"http://127.0.0.1:{port}", .. ConfigurationArgs()], stdin: null);
        try
        {
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            };
            await WaitUntilServingAsync(browser, server);

            using var login = await LoginForm.SubmitAsync(browser, "root", "root-password-123", "/admin/consumers");
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            var consumers = await browser.GetStringAsync("/admin/consumers", TestContext.Current.CancellationToken);
            Assert.Contains("https://site.example.com", consumers, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(CancellationToken.None);
        }
    }

    private string[] ConfigurationArgs() =>
        [$"--Latchkey:DataDirectory={_dataDirectory}", "--Latchkey:Accounts:PasswordHashIterations=1000"];

    private async Task<CliRun> RunAsync(string[] args, string? stdin = "")
    {
        using var process = Start([.. args, .. ConfigurationArgs()], stdin);
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await output, await error);
    }

    private static Process Start(string[] args, string? stdin)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = stdin is not null,
            RedirectStandardError = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(LatchkeyDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return process;
    }

    private static async Task WaitUntilServingAsync(HttpClient browser, Process server)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            Assert.False(server.HasExited, "the server exited early");
            try
            {
                using var response = await browser.GetAsync("/account/login", TestContext.Current.CancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail("the server did not start serving within 30 seconds");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
