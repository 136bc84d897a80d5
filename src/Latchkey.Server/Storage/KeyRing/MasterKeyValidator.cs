using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// Loads the master key (creating its file on first start) while <see cref="LatchkeyOptions"/> is validated:
/// every host (server, CLI commands, tests) validates those options before doing anything, so a bad or
/// unreadable key stops them all at startup with the same configuration error output.
/// </summary>
internal sealed class MasterKeyValidator(MasterKeyRingProvider keys) : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            // The main validator reports that; there is no file location to try.
            return ValidateOptionsResult.Skip;
        }

        try
        {
            keys.Load(options.DataDirectoryFullPath);
            return ValidateOptionsResult.Success;
        }
        catch (MasterKeyException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
