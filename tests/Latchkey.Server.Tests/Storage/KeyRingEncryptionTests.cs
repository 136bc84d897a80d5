using System.Collections.Concurrent;
using Latchkey.Server.Consumers;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.KeyRing;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// Not "...Tests.Storage": that namespace would shadow Latchkey.Server.Storage for "Storage.X" references elsewhere in the tests.
namespace Latchkey.Server.Tests.KeyRing;

/// <summary>
/// The Data Protection key ring is stored in the database encrypted under a master key kept outside it:
/// a copy of the database alone does not reveal the keys protecting consumer private keys and cookies.
/// </summary>
public sealed class KeyRingEncryptionTests
{
    private const string Origin = "https://app.example";
    private static readonly string KeyA = MasterKey.NewBase64();
    private static readonly string KeyB = MasterKey.NewBase64();

    public static TheoryData<LatchkeyTestStorage> Providers => [LatchkeyTestStorage.Sqlite, LatchkeyTestStorage.PostgreSql];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Key_ring_rows_hold_only_AES_GCM_encrypted_secrets(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage).WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);
        await factory.CreateConsumerAsync("app", Origin);

        var rows = await KeyRingXmlAsync(factory);

        Assert.NotEmpty(rows);
        foreach (var xml in rows)
        {
            Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
            Assert.Contains("<aesGcmSecret", xml, StringComparison.Ordinal);
            Assert.Contains(typeof(AesGcmXmlDecryptor).FullName!, xml, StringComparison.Ordinal);
            Assert.Contains($"masterKeyId=\"{MasterKey.TryParse(KeyA)!.Id}\"", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal);
            Assert.DoesNotContain(KeyA, xml, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_restart_with_the_same_master_key_decrypts_consumer_keys(LatchkeyTestStorage storage)
    {
        await using var first = LatchkeyServerFactory.For(storage).WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);
        var created = await first.CreateConsumerAsync("app", Origin);

        await using var restarted = new LatchkeyServerFactory(sharesStorageWith: first).WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);

        Assert.Equal(created.PrivateKey, await PrivateKeyOfAsync(restarted, created.PublicKey));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_restart_with_a_different_master_key_fails_to_start_and_leaves_the_key_ring_alone(LatchkeyTestStorage storage)
    {
        await using var first = LatchkeyServerFactory.For(storage).WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);
        var created = await first.CreateConsumerAsync("app", Origin);
        var before = await KeyRingXmlAsync(first);

        var failure = await StartupFailureAsync(first, KeyB);

        Assert.Contains(MasterKey.TryParse(KeyA)!.Id, failure, StringComparison.Ordinal);
        Assert.Contains(MasterKeyRingProvider.MasterKeySetting, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyA, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyB, failure, StringComparison.Ordinal);
        // No key was minted under the wrong master key, which would break the database for the right one.
        Assert.Equal(before, await KeyRingXmlAsync(first));
        Assert.Equal(created.PrivateKey, await PrivateKeyOfAsync(first, created.PublicKey));
    }

    [Fact]
    public async Task Rotation_with_previous_master_keys_re_encrypts_the_ring_so_the_old_key_can_be_dropped()
    {
        await using var first = new LatchkeyServerFactory().WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);
        var created = await first.CreateConsumerAsync("app", Origin);
        var idA = MasterKey.TryParse(KeyA)!.Id;
        var idB = MasterKey.TryParse(KeyB)!.Id;

        // Switching keys without listing the old one is refused, and changes nothing.
        Assert.Contains(idA, await StartupFailureAsync(first, KeyB), StringComparison.Ordinal);
        Assert.All(await KeyRingXmlAsync(first), xml => Assert.Contains($"masterKeyId=\"{idA}\"", xml, StringComparison.Ordinal));

        // New key, old one listed (here in the comma-separated form an environment variable would use).
        await using (var rotated = new LatchkeyServerFactory(sharesStorageWith: first)
            .WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyB)
            .WithSetting(MasterKeyRingProvider.PreviousMasterKeysSetting, MasterKey.NewBase64() + ", " + KeyA))
        {
            Assert.Equal(created.PrivateKey, await PrivateKeyOfAsync(rotated, created.PublicKey));
        }

        var rows = await KeyRingXmlAsync(first);
        Assert.All(rows, xml => Assert.Contains($"masterKeyId=\"{idB}\"", xml, StringComparison.Ordinal));
        Assert.DoesNotContain(rows, xml => xml.Contains(idA, StringComparison.Ordinal));

        // The old key is no longer needed; a node still holding only the old key is refused.
        await using (var newOnly = new LatchkeyServerFactory(sharesStorageWith: first).WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyB))
        {
            Assert.Equal(created.PrivateKey, await PrivateKeyOfAsync(newOnly, created.PublicKey));
        }

        Assert.Contains(idB, await StartupFailureAsync(first, KeyA), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Previous_master_keys_from_a_configuration_array_decrypt_the_ring()
    {
        await using var first = new LatchkeyServerFactory().WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);
        var created = await first.CreateConsumerAsync("app", Origin);

        await using var rotated = new LatchkeyServerFactory(sharesStorageWith: first)
            .WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyB)
            .WithSetting(MasterKeyRingProvider.PreviousMasterKeysSetting + ":0", KeyA);

        Assert.Equal(created.PrivateKey, await PrivateKeyOfAsync(rotated, created.PublicKey));
        rotated.Services.GetRequiredService<IKeyManager>().CreateNewKey(TimeProvider.System.GetUtcNow(), TimeProvider.System.GetUtcNow().AddDays(90));
        Assert.All(await KeyRingXmlAsync(rotated), xml => Assert.Contains($"masterKeyId=\"{MasterKey.TryParse(KeyB)!.Id}\"", xml, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Plaintext_keys_from_before_encryption_are_encrypted_at_the_next_start()
    {
        await using var first = new LatchkeyServerFactory().WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);
        var created = await first.CreateConsumerAsync("app", Origin);
        // Turn the stored rows back into what an unencrypted key ring holds: the framework's plaintext <masterKey>.
        await first.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            var decryptor = new AesGcmXmlDecryptor(services);
            foreach (var row in await db.DataProtectionKeys.ToListAsync())
            {
                var element = System.Xml.Linq.XElement.Parse(row.Xml!);
                foreach (var wrapper in element.Descendants().Where(e => e.Name.LocalName == "encryptedSecret").ToList())
                {
                    wrapper.ReplaceWith(decryptor.Decrypt(wrapper.Elements().Single()));
                }

                row.Xml = element.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
            }

            await db.SaveChangesAsync();
        });
        Assert.All(await KeyRingXmlAsync(first), xml => Assert.Contains("<value>", xml, StringComparison.Ordinal));

        await using var restarted = new LatchkeyServerFactory(sharesStorageWith: first).WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA);

        Assert.Equal(created.PrivateKey, await PrivateKeyOfAsync(restarted, created.PublicKey));
        Assert.All(await KeyRingXmlAsync(first), xml =>
        {
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
            Assert.Contains("<aesGcmSecret", xml, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Without_a_configured_key_master_key_file_is_created_owner_only_and_reused()
    {
        var logs = new CapturingLoggerProvider();
        await using var first = new LatchkeyServerFactory()
            .WithSetting("Logging:LogLevel:Latchkey.Server.Storage.KeyRing", "Information")
            .WithServices(services => services.AddSingleton<ILoggerProvider>(logs));
        var created = await first.CreateConsumerAsync("app", Origin);

        var path = Path.Combine(first.DataDirectory, MasterKeyRingProvider.FileName);
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var fileKey = File.ReadAllText(path).Trim();
        Assert.NotNull(MasterKey.TryParse(fileKey));
        Assert.Contains(logs.Messages, m => m.Contains("Created the Data Protection master key file", StringComparison.Ordinal) && m.Contains(path, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains(fileKey, StringComparison.Ordinal));
        Assert.All(await KeyRingXmlAsync(first), xml => Assert.Contains($"masterKeyId=\"{MasterKey.TryParse(fileKey)!.Id}\"", xml, StringComparison.Ordinal));

        await using (var restarted = new LatchkeyServerFactory(sharesStorageWith: first))
        {
            Assert.Equal(created.PrivateKey, await PrivateKeyOfAsync(restarted, created.PublicKey));
            Assert.Equal(fileKey, File.ReadAllText(path).Trim());
        }

        // The file is the key: replace it and the database can no longer be opened.
        File.WriteAllText(path, MasterKey.NewBase64());
        Assert.Contains(MasterKey.TryParse(fileKey)!.Id, await StartupFailureAsync(first, masterKey: null), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64 at all")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")] // 16 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 34 bytes
    public async Task A_configured_master_key_that_is_not_32_bytes_of_base64_stops_startup(string value)
    {
        await using var factory = new LatchkeyServerFactory().WithSetting(MasterKeyRingProvider.MasterKeySetting, value);

        var failure = Assert.Throws<OptionsValidationException>(() => factory.Services);

        Assert.Contains("Latchkey:DataProtection:MasterKey must be base64 of exactly 32 bytes", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_previous_master_key_stops_startup()
    {
        await using var factory = new LatchkeyServerFactory()
            .WithSetting(MasterKeyRingProvider.MasterKeySetting, KeyA)
            .WithSetting(MasterKeyRingProvider.PreviousMasterKeysSetting + ":0", "short");

        var failure = Assert.Throws<OptionsValidationException>(() => factory.Services);

        Assert.Contains("Latchkey:DataProtection:PreviousMasterKeys entry 1", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_or_corrupt_master_key_file_stops_startup_and_is_not_replaced()
    {
        await using var unreadable = new LatchkeyServerFactory();
        var path = Path.Combine(unreadable.DataDirectory, MasterKeyRingProvider.FileName);
        Directory.CreateDirectory(path); // Reading a directory fails the way an unreadable file does, even for root.
        var failure = Assert.Throws<OptionsValidationException>(() => unreadable.Services);
        Assert.Contains($"The master key file '{path}' cannot be read", failure.Message, StringComparison.Ordinal);

        await using var corrupt = new LatchkeyServerFactory();
        var corruptPath = Path.Combine(corrupt.DataDirectory, MasterKeyRingProvider.FileName);
        File.WriteAllText(corruptPath, "definitely not a key\n");
        failure = Assert.Throws<OptionsValidationException>(() => corrupt.Services);
        Assert.Contains("does not hold base64 of exactly 32 bytes", failure.Message, StringComparison.Ordinal);
        Assert.Equal("definitely not a key\n", File.ReadAllText(corruptPath));
    }

    [Fact]
    public async Task CLI_hosts_refuse_a_bad_master_key_too()
    {
        await using var factory = new LatchkeyServerFactory(); // only for its temp directory and cleanup

        var failure = Assert.Throws<OptionsValidationException>(() => LatchkeyServer.BuildForCommands(
            [$"--Latchkey:DataDirectory={factory.DataDirectory}", $"--{MasterKeyRingProvider.MasterKeySetting}=nope"]));

        Assert.Contains(MasterKeyRingProvider.MasterKeySetting, failure.Message, StringComparison.Ordinal);
    }

    private static async Task<List<string>> KeyRingXmlAsync(LatchkeyServerFactory factory) =>
        await factory.WithScopeAsync(services =>
            services.GetRequiredService<LatchkeyDbContext>().DataProtectionKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml!).ToListAsync());

    private static async Task<string?> PrivateKeyOfAsync(LatchkeyServerFactory factory, string publicKey) =>
        (await factory.WithScopeAsync(services => services.GetRequiredService<ConsumerRegistry>().FindByPublicKeyAsync(publicKey, CancellationToken.None)))?.PrivateKey;

    /// <summary>
    /// Starts the real server (<see cref="LatchkeyServer.Build"/>, as <c>latchkey serve</c> does) on
    /// <paramref name="shared"/>'s data directory and database, expecting it to refuse to start; returns the
    /// configuration error. (The test factory cannot observe this: the app's serve loop catches the error.)
    /// </summary>
    private static async Task<string> StartupFailureAsync(LatchkeyServerFactory shared, string? masterKey)
    {
        List<string> args = ["--urls=http://127.0.0.1:0", $"--Latchkey:DataDirectory={shared.DataDirectory}", "--Logging:LogLevel:Default=Warning"];
        if (masterKey is not null)
        {
            args.Add($"--{MasterKeyRingProvider.MasterKeySetting}={masterKey}");
        }

        if (shared.Storage == LatchkeyTestStorage.PostgreSql)
        {
            args.Add("--Latchkey:Storage:Provider=PostgreSql");
            args.Add("--Latchkey:Storage:ConnectionString="
                + new Npgsql.NpgsqlConnectionStringBuilder(LatchkeyServerFactory.PostgresBaseConnectionString) { Database = shared.PostgresDatabaseName }.ConnectionString);
        }

        await using var app = LatchkeyServer.Build([.. args]);
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        return failure.Message;
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(this);

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(CapturingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Messages.Enqueue($"{logLevel} {formatter(state, exception)} {exception}");
        }
    }
}
