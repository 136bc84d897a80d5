using System.Text;

namespace Latchkey.Server.Cli;

/// <summary>
/// The three streams a command talks through. Commands never touch <see cref="Console"/> directly, so
/// tests can run them in parallel with their own input and output.
/// </summary>
internal sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error)
{
    /// <summary>True when stdin is a terminal: secrets are then read without echo, after a prompt on stderr.</summary>
    public bool IsInteractive { get; init; }

    public static CliConsole System => new(Console.In, Console.Out, Console.Error) { IsInteractive = !Console.IsInputRedirected };

    /// <summary>One line from stdin; typed at a terminal it is not echoed. Null at end of input.</summary>
    public string? ReadSecretLine(string prompt)
    {
        if (!IsInteractive)
        {
            return In.ReadLine();
        }

        Error.Write(prompt);
        var secret = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Error.WriteLine();
                return secret.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (secret.Length > 0)
                {
                    secret.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                secret.Append(key.KeyChar);
            }
        }
    }
}
