namespace Latchkey.Server.Cli;

/// <summary>
/// Separates ASP.NET Core configuration switches (<c>--Latchkey:DataDirectory=/x</c>,
/// <c>--Latchkey:Storage:Provider PostgreSql</c>, <c>--environment Production</c>) from a command's own
/// tokens, so a command reads the same configuration as the server without System.CommandLine
/// having to know every configuration key.
/// </summary>
internal static class ConfigurationArguments
{
    // Host-level switches the ASP.NET Core command-line provider understands without a section.
    private static readonly HashSet<string> HostSwitches = new(StringComparer.OrdinalIgnoreCase)
    {
        "environment", "contentRoot", "applicationName",
    };

    public static (string[] CommandTokens, string[] Configuration) Split(IReadOnlyList<string> args)
    {
        var command = new List<string>();
        var configuration = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (!IsConfigurationSwitch(token))
            {
                command.Add(token);
                continue;
            }

            configuration.Add(token);
            // "--Key value" form: the value is the next token.
            if (!token.Contains('=', StringComparison.Ordinal) && i + 1 < args.Count)
            {
                configuration.Add(args[++i]);
            }
        }

        return ([.. command], [.. configuration]);
    }

    private static bool IsConfigurationSwitch(string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
        {
            return false;
        }

        var equals = token.IndexOf('=', StringComparison.Ordinal);
        var key = equals < 0 ? token[2..] : token[2..equals];
        return key.Contains(':', StringComparison.Ordinal) || HostSwitches.Contains(key);
    }
}
