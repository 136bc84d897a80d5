using Latchkey.Server.Hosting.RateLimiting;
using Latchkey.Server.Mail;

namespace Latchkey.Server.Hosting;

/// <summary>The <c>Latchkey</c> configuration section. Validated at startup by <see cref="LatchkeyOptionsValidator"/>.</summary>
public sealed class LatchkeyOptions
{
    public const string SectionName = "Latchkey";

    /// <summary>Folder for the SQLite file and other local state; relative paths resolve against the working directory.</summary>
    public string DataDirectory { get; set; } = "./data";

    public LatchkeyStorageOptions Storage { get; set; } = new();

    public LatchkeySimpleSsoOptions SimpleSso { get; set; } = new();

    public LatchkeyAccountsOptions Accounts { get; set; } = new();

    public LatchkeyBootstrapOptions Bootstrap { get; set; } = new();

    public LatchkeyForwardedHeadersOptions ForwardedHeaders { get; set; } = new();

    public Latchkey.Server.Accounts.Mfa.LatchkeyMfaOptions Mfa { get; set; } = new();

    public LatchkeyMailOptions Mail { get; set; } = new();

    public LatchkeyRateLimitOptions RateLimits { get; set; } = new();

    public Latchkey.Server.Accounts.Passkeys.LatchkeyPasskeyOptions Passkeys { get; set; } = new();

    /// <summary>
    /// StackExchange.Redis connection string (e.g. <c>redis:6379,password=...</c>) shared by every node: cache
    /// invalidation, and rate-limit counters. Unset: a single node (or nodes that converge through short cache lifetimes).
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>The data directory as an absolute path.</summary>
    public string DataDirectoryFullPath => Path.GetFullPath(DataDirectory);
}

/// <summary>The storage back ends Latchkey ships migrations for.</summary>
public enum LatchkeyStorageProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary><c>Latchkey:Storage</c>.</summary>
public sealed class LatchkeyStorageOptions
{
    /// <summary><c>Sqlite</c> (default) or <c>PostgreSql</c>. A string so that a typo gets a clear startup error instead of a binder exception.</summary>
    public string Provider { get; set; } = nameof(LatchkeyStorageProvider.Sqlite);

    /// <summary>Provider connection string. Optional for SQLite (defaults to <c>latchkey.db</c> in the data directory), required for PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite only: <c>true</c> (default) commits with <c>synchronous=NORMAL</c> in WAL mode — a killed process loses nothing,
    /// only a power cut or kernel crash can lose the last commits; <c>false</c> fsyncs every commit (<c>FULL</c>).
    /// </summary>
    public bool SqliteRelaxedSync { get; set; } = true;

    /// <summary>Whether <see cref="Provider"/> names a known provider (case-insensitive, names only).</summary>
    public bool TryGetProvider(out LatchkeyStorageProvider provider)
    {
        // Names only: Enum.TryParse would also take "1" or "Sqlite,PostgreSql".
        var name = Enum.GetNames<LatchkeyStorageProvider>().FirstOrDefault(n => string.Equals(n, Provider?.Trim(), StringComparison.OrdinalIgnoreCase));
        provider = name is null ? default : Enum.Parse<LatchkeyStorageProvider>(name);
        return name is not null;
    }

    /// <summary>The parsed provider; only call after validation.</summary>
    public LatchkeyStorageProvider ProviderKind =>
        TryGetProvider(out var provider) ? provider : throw new InvalidOperationException($"Unknown storage provider '{Provider}'.");
}

/// <summary><c>Latchkey:SimpleSso</c>: the django-simple-sso compatible endpoints.</summary>
public sealed class LatchkeySimpleSsoOptions
{
    /// <summary>Where the endpoints live; starts and ends with <c>/</c>.</summary>
    public string BasePath { get; set; } = "/sso/";

    /// <summary>How long a request/access token pair lives.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Tolerated clock difference when checking signature timestamps.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest accepted request body of the server-to-server calls.</summary>
    public int MaxBodyBytes { get; set; } = 16384;

    /// <summary>How often expired tokens are deleted.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary><c>Latchkey:Accounts</c>.</summary>
public sealed class LatchkeyAccountsOptions
{
    /// <summary>
    /// Identity's v3 hashes are PBKDF2-HMAC-SHA512, for which OWASP (2023+) asks at least 210,000 iterations; 600,000 (OWASP's
    /// SHA-256 figure) keeps that margin ~3x. See docs/security.md.
    /// </summary>
    public const int RecommendedPasswordHashIterations = 600_000;

    /// <summary>PBKDF2 iterations for new password hashes; older hashes are upgraded at their next sign-in.</summary>
    public int PasswordHashIterations { get; set; } = RecommendedPasswordHashIterations;

    /// <summary>Escalating lockout after repeated failed sign-ins.</summary>
    public Latchkey.Server.Accounts.Lockout.AccountLockoutOptions Lockout { get; set; } = new();

    /// <summary>Password rules (length, common-password list).</summary>
    public Latchkey.Server.Accounts.PasswordPolicy.PasswordPolicyOptions Password { get; set; } = new();

    /// <summary>Lifetimes of password-reset and e-mail verification links.</summary>
    public Latchkey.Server.Accounts.AccountLinkOptions Links { get; set; } = new();
}

/// <summary><c>Latchkey:Bootstrap</c>: the first administrator, created when no user has the <c>admin</c> role.</summary>
public sealed class LatchkeyBootstrapOptions
{
    public string AdminUsername { get; set; } = "admin";

    /// <summary>For automation only; when unset a random password is generated and printed once.</summary>
    public string? AdminPassword { get; set; }
}

/// <summary><c>Latchkey:ForwardedHeaders</c>: trust <c>X-Forwarded-For/Proto/Host</c> from the listed reverse proxies only.</summary>
public sealed class LatchkeyForwardedHeadersOptions
{
    /// <summary>Off by default: a server reached directly must not let clients choose their own scheme, host or address.</summary>
    public bool Enabled { get; set; }

    /// <summary>IP addresses of proxies whose forwarded headers are applied.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>CIDR ranges (e.g. <c>10.0.0.0/8</c>) of proxies whose forwarded headers are applied.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxy hops of each header are processed, from the right.</summary>
    public int ForwardLimit { get; set; } = 1;
}
