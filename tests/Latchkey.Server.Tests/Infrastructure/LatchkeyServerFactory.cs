using System.Net;
using Latchkey.Server.Accounts;
using Latchkey.Server.Consumers;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Latchkey.Server.Hosting;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>Which database a <see cref="LatchkeyServerFactory"/> runs on.</summary>
public enum LatchkeyTestStorage
{
    /// <summary>A real SQLite file in a fresh temporary data directory.</summary>
    Sqlite,

    /// <summary>A fresh database on the server named by <c>LATCHKEY_TEST_POSTGRES</c>, dropped on dispose.</summary>
    PostgreSql,
}

/// <summary>
/// The real Latchkey app in-process, on a fresh temporary data directory and a fresh database. The first
/// admin is bootstrapped with <see cref="AdminUserName"/>/<see cref="AdminPassword"/>. Password hashing uses
/// fewer PBKDF2 iterations than production so tests stay fast; everything else is the production setup.
/// Use <see cref="UseRealKestrel"/> when a socket is needed (browsers, Python/Node peers).
/// </summary>
public class LatchkeyServerFactory : WebApplicationFactory<Program>
{
    public const string PostgresEnvironmentVariable = "LATCHKEY_TEST_POSTGRES";
    public const string AdminUserName = "admin";
    public const string AdminPassword = "test-admin-password";
    public const int TestPasswordHashIterations = 1000;

    private readonly Dictionary<string, string?> _settings = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Action<IServiceCollection>> _serviceOverrides = [];
    private readonly string? _postgresAdminConnectionString;
    private readonly bool _ownsStorage;
    private bool _realKestrel;

    /// <param name="storage">The database; <see cref="LatchkeyTestStorage.PostgreSql"/> needs <c>LATCHKEY_TEST_POSTGRES</c> (see <see cref="SkipUnlessPostgresConfigured"/>).</param>
    /// <param name="useFakeTime">Registers <see cref="Time"/> as the app's <see cref="TimeProvider"/>, for expiry tests.</param>
    /// <param name="sharesStorageWith">Reuse another factory's data directory and database (a "restart"); that factory still owns their cleanup.</param>
    public LatchkeyServerFactory(LatchkeyTestStorage storage = LatchkeyTestStorage.Sqlite, bool useFakeTime = false, LatchkeyServerFactory? sharesStorageWith = null)
    {
        Storage = sharesStorageWith?.Storage ?? storage;
        storage = Storage;
        _ownsStorage = sharesStorageWith is null;
        DataDirectory = sharesStorageWith?.DataDirectory ?? Path.Combine(Path.GetTempPath(), "latchkey-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
        if (useFakeTime)
        {
            Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        }

        _settings["Latchkey:DataDirectory"] = DataDirectory;
        _settings["Latchkey:Bootstrap:AdminUsername"] = AdminUserName;
        _settings["Latchkey:Bootstrap:AdminPassword"] = AdminPassword;
        _settings["Latchkey:Accounts:PasswordHashIterations"] = TestPasswordHashIterations.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _settings["Logging:LogLevel:Default"] = "Warning";
        // Tests sign in and call the token endpoint far more often than a person; rate-limit tests set their own budgets.
        foreach (var policy in new[] { "Login", "Mfa", "PasswordReset", "Token", "Ceremony" })
        {
            _settings[$"Latchkey:RateLimits:{policy}:PerIp:PermitLimit"] = "1000000";
            _settings[$"Latchkey:RateLimits:{policy}:PerAccount:PermitLimit"] = "1000000";
        }

        if (storage == LatchkeyTestStorage.PostgreSql)
        {
            var baseConnection = PostgresBaseConnectionString
                ?? throw new InvalidOperationException($"{PostgresEnvironmentVariable} is not set; call SkipUnlessPostgresConfigured() first.");
            PostgresDatabaseName = sharesStorageWith?.PostgresDatabaseName ?? "latchkey_test_" + Guid.NewGuid().ToString("N");
            _postgresAdminConnectionString = new NpgsqlConnectionStringBuilder(baseConnection) { Database = "postgres", Pooling = false }.ConnectionString;
            _settings["Latchkey:Storage:Provider"] = "PostgreSql";
            _settings["Latchkey:Storage:ConnectionString"] = new NpgsqlConnectionStringBuilder(baseConnection) { Database = PostgresDatabaseName }.ConnectionString;
        }
    }

    /// <summary>The base PostgreSQL connection string from <c>LATCHKEY_TEST_POSTGRES</c>, or null.</summary>
    public static string? PostgresBaseConnectionString =>
        Environment.GetEnvironmentVariable(PostgresEnvironmentVariable) is { Length: > 0 } value ? value : null;

    /// <summary>Skips the current test when no PostgreSQL server is configured (the CI script always sets one).</summary>
    public static void SkipUnlessPostgresConfigured()
    {
        if (PostgresBaseConnectionString is null)
        {
            Assert.Skip($"{PostgresEnvironmentVariable} is not set.");
        }
    }

    /// <summary>A factory for <paramref name="storage"/>, skipping the test if that is PostgreSQL and none is configured.</summary>
    public static LatchkeyServerFactory For(LatchkeyTestStorage storage, bool useFakeTime = false)
    {
        if (storage == LatchkeyTestStorage.PostgreSql)
        {
            SkipUnlessPostgresConfigured();
        }

        return new LatchkeyServerFactory(storage, useFakeTime);
    }

    public LatchkeyTestStorage Storage { get; }

    /// <summary>The temporary data directory (deleted on dispose).</summary>
    public string DataDirectory { get; }

    public string SqliteFilePath => Path.Combine(DataDirectory, "latchkey.db");

    public string? PostgresDatabaseName { get; }

    /// <summary>The app's clock when constructed with <c>useFakeTime: true</c>; otherwise null.</summary>
    public FakeTimeProvider? Time { get; }

    /// <summary>What the admin bootstrapper printed (it writes here instead of the console).</summary>
    public StringWriter BootstrapOutput { get; } = new();

    /// <summary>Sets a configuration value (e.g. <c>Latchkey:SimpleSso:TokenLifetime</c>); call before the server starts.</summary>
    public LatchkeyServerFactory WithSetting(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Points <c>Latchkey:Mail</c> at <paramref name="sink"/> (plain SMTP on 127.0.0.1); call before the server starts.</summary>
    public LatchkeyServerFactory WithSmtpSink(SmtpSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _settings["Latchkey:Mail:SmtpHost"] = "127.0.0.1";
        _settings["Latchkey:Mail:SmtpPort"] = sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _settings["Latchkey:Mail:UseTls"] = "None";
        _settings["Latchkey:Mail:From"] = "Latchkey <sso@latchkey.test>";
        return this;
    }

    /// <summary>Replaces or adds services after the app's own registrations; call before the server starts.</summary>
    public LatchkeyServerFactory WithServices(Action<IServiceCollection> configure)
    {
        _serviceOverrides.Add(configure);
        return this;
    }

    /// <summary>Serves on a real socket at 127.0.0.1 with a free port and returns its base address (ends with '/').</summary>
    public Uri UseRealKestrel()
    {
        if (!_realKestrel)
        {
            _realKestrel = true;
            UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            StartServer();
        }

        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.TrimEnd('/') + "/");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Production: no developer exception page, no Development-only appsettings.
        builder.UseEnvironment("Production");
        // Host settings are visible while Program builds; the in-memory source added last also outranks
        // appsettings*.json and environment variables once the app's configuration is assembled.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<AdminBootstrapOutput>();
            services.AddSingleton(new AdminBootstrapOutput(TextWriter.Synchronized(BootstrapOutput)));
            if (Time is not null)
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Time);
            }

            foreach (var configure in _serviceOverrides)
            {
                configure(services);
            }
        });
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.UseDefaultServiceProvider(provider => provider.ValidateScopes = true);
        var host = builder.Build();

        // The app's own serve loop reports invalid configuration on stderr and exits quietly; surface it
        // to the test instead, before starting, with the validator's message.
        _ = host.Services.GetRequiredService<IOptions<LatchkeyOptions>>().Value;
        host.Start();
        return host;
    }

    /// <summary>Runs <paramref name="action"/> in a fresh DI scope of the running app.</summary>
    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    /// <inheritdoc cref="WithScopeAsync{T}(Func{IServiceProvider, Task{T}})"/>
    public async Task WithScopeAsync(Func<IServiceProvider, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await action(scope.ServiceProvider);
    }

    /// <summary>Creates a user through the real <see cref="UserManager{TUser}"/>.</summary>
    public Task<LatchkeyUser> CreateUserAsync(
        string userName,
        string password,
        bool isAdmin = false,
        bool isActive = true,
        string? email = null,
        string firstName = "",
        string lastName = "") =>
        WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<LatchkeyUser>>();
            var user = new LatchkeyUser
            {
                UserName = userName,
                Email = email,
                FirstName = firstName,
                LastName = lastName,
                IsActive = isActive,
                CreatedAt = services.GetRequiredService<TimeProvider>().GetUtcNow(),
            };
            EnsureSucceeded(await users.CreateAsync(user, password), $"create user {userName}");
            if (isAdmin)
            {
                EnsureSucceeded(await users.AddToRoleAsync(user, LatchkeyRoles.Admin), $"make {userName} an admin");
            }

            return user;
        });

    /// <summary>Loads a user fresh from the database (null if absent).</summary>
    public Task<LatchkeyUser?> FindUserAsync(string userName) =>
        WithScopeAsync(services => services.GetRequiredService<UserManager<LatchkeyUser>>().FindByNameAsync(userName));

    /// <summary>Creates a simple-sso consumer through the real <see cref="ConsumerRegistry"/>; the result carries its keys.</summary>
    public Task<CreatedConsumer> CreateConsumerAsync(string name, params string[] redirectOrigins) =>
        WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().CreateAsync(name, redirectOrigins, CancellationToken.None));

    /// <summary>
    /// A browser-like client: keeps cookies (in <paramref name="cookies"/> when given, e.g. to carry a
    /// session across a restart), does not follow redirects unless asked.
    /// </summary>
    public HttpClient CreateBrowser(bool followRedirects = false, CookieContainer? cookies = null)
    {
        var handlers = new List<DelegatingHandler>();
        if (followRedirects)
        {
            handlers.Add(new RedirectHandler(ClientOptions.MaxAutomaticRedirections));
        }

        handlers.Add(new CookieContainerHandler(cookies ?? new CookieContainer()));
        return CreateDefaultClient(new Uri("http://localhost/"), [.. handlers]);
    }

    /// <summary>A browser signed in through the real login form; fails the test if sign-in does not succeed.</summary>
    public async Task<HttpClient> SignInAsync(string userName, string password, CookieContainer? cookies = null)
    {
        var browser = CreateBrowser(cookies: cookies);
        using var response = await LoginForm.SubmitAsync(browser, userName, password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in of {userName} failed: {(int)response.StatusCode}.");
        }

        return browser;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        SqliteConnection.ClearAllPools();
        if (!_ownsStorage)
        {
            return;
        }

        if (_postgresAdminConnectionString is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_postgresAdminConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{PostgresDatabaseName}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on some platform; the OS temp cleaner gets it.
        }
    }

    private static void EnsureSucceeded(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}
