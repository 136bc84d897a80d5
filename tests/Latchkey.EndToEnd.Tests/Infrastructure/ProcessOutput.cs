using System.Text;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Keeps the tail of a child process's output so a failing test can show what the process said,
/// without letting a chatty server grow the test's memory without bound.
/// </summary>
internal sealed class ProcessOutput
{
    private const int MaxLines = 400;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void Add(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue($"[{stream}] {line}");
            while (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            foreach (var line in _lines)
            {
                text.AppendLine(line);
            }

            return text.ToString();
        }
    }
}
