namespace Latchkey.Server.Cli;

/// <summary>
/// The three streams a command talks through. Commands never touch <see cref="Console"/> directly, so
/// tests can run them in parallel with their own input and output.
/// </summary>
internal sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error)
{
    public static CliConsole System => new(Console.In, Console.Out, Console.Error);
}
