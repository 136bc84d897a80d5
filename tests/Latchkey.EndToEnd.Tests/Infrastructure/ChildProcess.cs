using System.Diagnostics;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A long-running child process (the server or a sample app). Its output is captured for failure
/// messages; disposing kills the whole process tree so no test leaves a listener behind.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly HttpClient ProbeClient = new(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly Process _process;
    private readonly ProcessOutput _output = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public string Output => _output.ToString();

    public static ChildProcess Start(string name, ProcessStartInfo startInfo)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.RedirectStandardInput = true;
        startInfo.UseShellExecute = false;
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child._output.Add("out", e.Data);
        process.ErrorDataReceived += (_, e) => child._output.Add("err", e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {name}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Nothing is ever typed at these processes; a closed stdin keeps them from waiting for input.
        process.StandardInput.Close();
        return child;
    }

    /// <summary>
    /// Polls <paramref name="url"/> until the process answers HTTP at all. The limit only guards
    /// against a hang; it is not a performance expectation.
    /// </summary>
    public async Task WaitUntilListeningAsync(Uri url, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{Name} exited with code {_process.ExitCode} before listening on {url}.\n{Output}");
            }

            try
            {
                using var response = await ProbeClient.GetAsync(url, deadline.Token);
                return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not answer on {url} within {limit}.\n{Output}");
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not answer on {url} within {limit}.\n{Output}");
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
