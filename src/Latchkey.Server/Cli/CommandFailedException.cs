namespace Latchkey.Server.Cli;

/// <summary>
/// An expected failure (validation, not found): reported as one line on stderr with exit code 1,
/// never with a stack trace.
/// </summary>
internal sealed class CommandFailedException(string message) : Exception(message);
