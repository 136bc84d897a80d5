using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// Loads the master keys once per process: <c>Latchkey:DataProtection:MasterKey</c> when set, otherwise
/// <c>master.key</c> in the data directory (created with mode 0600 on first start), plus
/// <c>Latchkey:DataProtection:PreviousMasterKeys</c>.
/// </summary>
public sealed class MasterKeyRingProvider(IConfiguration configuration, IServiceProvider services, ILogger<MasterKeyRingProvider> logger)
{
    public const string SectionName = "Latchkey:DataProtection";
    public const string MasterKeySetting = SectionName + ":MasterKey";
    public const string PreviousMasterKeysSetting = SectionName + ":PreviousMasterKeys";
    public const string FileName = "master.key";

    private readonly Lock _gate = new();
    private MasterKeyRing? _ring;

    /// <summary>The loaded keys; throws <see cref="MasterKeyException"/> when they cannot be loaded.</summary>
    // LatchkeyOptions is resolved lazily: its validator calls Load while IOptions<LatchkeyOptions> is being built.
    public MasterKeyRing Ring => _ring ?? Load(services.GetRequiredService<IOptions<LatchkeyOptions>>().Value.DataDirectoryFullPath);

    internal MasterKeyRing Load(string dataDirectory)
    {
        lock (_gate)
        {
            return _ring ??= new MasterKeyRing(LoadCurrent(dataDirectory), LoadPrevious());
        }
    }

    private MasterKey LoadCurrent(string dataDirectory)
    {
        var configured = configuration[MasterKeySetting];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return MasterKey.TryParse(configured)
                ?? throw new MasterKeyException($"{MasterKeySetting} must be base64 of exactly {MasterKey.SizeInBytes} bytes (e.g. the output of 'openssl rand -base64 32').");
        }

        return new MasterKeyFile(Path.Combine(dataDirectory, FileName), logger).ReadOrCreate();
    }

    private List<MasterKey> LoadPrevious()
    {
        var section = configuration.GetSection(PreviousMasterKeysSetting);
        // An array in JSON (PreviousMasterKeys:0, :1, ...) or one comma-separated value, which is easier in an environment variable.
        var values = section.GetChildren().Select(child => child.Value).ToList();
        if (section.Value is { } joined)
        {
            values.AddRange(joined.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        var keys = new List<MasterKey>();
        for (var i = 0; i < values.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(values[i]))
            {
                continue;
            }

            keys.Add(MasterKey.TryParse(values[i])
                ?? throw new MasterKeyException($"{PreviousMasterKeysSetting} entry {i + 1} must be base64 of exactly {MasterKey.SizeInBytes} bytes."));
        }

        return keys;
    }
}
