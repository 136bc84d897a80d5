namespace Latchkey.Server.Cli;

/// <summary>Process exit codes of the <c>latchkey</c> command, documented in the README.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Validation failed or the named thing does not exist.</summary>
    public const int Failed = 1;

    /// <summary>The command line itself is wrong (unknown command, missing option...).</summary>
    public const int Usage = 2;
}
