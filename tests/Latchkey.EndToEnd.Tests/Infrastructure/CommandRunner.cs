using System.Diagnostics;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>The outcome of a process that ran to completion.</summary>
internal sealed record CommandResult(string Description, int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() =>
        $"{Description} exited with {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

/// <summary>Runs a command to completion, feeding it stdin and capturing both output streams.</summary>
internal static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(
        ProcessStartInfo startInfo, string? standardInput, TimeSpan limit, CancellationToken cancellationToken)
    {
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        // Secrets travel on stdin, so the description (shown in failures) is the command line only.
        var description = startInfo.FileName + " " + string.Join(' ', startInfo.ArgumentList);

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {description}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{description} did not finish within {limit}.");
        }

        return new CommandResult(description, process.ExitCode, await stdout, await stderr);
    }
}
