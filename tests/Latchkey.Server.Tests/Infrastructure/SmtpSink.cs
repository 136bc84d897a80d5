using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>One mail as the sink received it over SMTP.</summary>
public sealed record ReceivedMail(IReadOnlyList<string> To, string From, string Subject, string TextBody, string? HtmlBody)
{
    /// <summary>The first absolute http(s) URL in the text body that contains <paramref name="pathFragment"/>.</summary>
    public string FindLink(string pathFragment)
    {
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(TextBody, @"https?://\S+"))
        {
            if (match.Value.Contains(pathFragment, StringComparison.Ordinal))
            {
                return match.Value;
            }
        }

        throw new InvalidOperationException($"No link containing '{pathFragment}' in mail '{Subject}':\n{TextBody}");
    }
}

/// <summary>
/// A real SMTP server (package SmtpServer) on 127.0.0.1 and a free port that keeps every mail it receives, for tests
/// that must prove a mail really went over a socket. Shared as source with the end-to-end tests (linked there).
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedMail> _messages = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly CancellationTokenSource _stop = new();
    private SmtpServer.SmtpServer? _server;
    private Task? _running;

    private SmtpSink()
    {
    }

    public int Port { get; private set; }

    /// <summary>Every mail received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedMail> Messages => [.. _messages];

    public static async Task<SmtpSink> StartAsync()
    {
        var sink = new SmtpSink();
        await sink.StartListeningAsync();
        return sink;
    }

    /// <summary>The first mail to <paramref name="to"/> (case-insensitive) that arrives or has arrived; fails after <paramref name="timeout"/>.</summary>
    public async Task<ReceivedMail> WaitForMailAsync(string to, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var found = _messages.FirstOrDefault(m => m.To.Contains(to, StringComparer.OrdinalIgnoreCase));
            if (found is not null)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No mail to {to} within {timeout}; received: {string.Join(", ", _messages.Select(m => string.Join("/", m.To) + " '" + m.Subject + "'"))}.");
            }
        }
    }

    /// <summary>Mails to <paramref name="to"/> received so far.</summary>
    public IReadOnlyList<ReceivedMail> MessagesTo(string to) =>
        [.. _messages.Where(m => m.To.Contains(to, StringComparer.OrdinalIgnoreCase))];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _server?.Shutdown();
        if (_running is not null)
        {
            try
            {
                await _running.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
            }
        }

        _stop.Dispose();
    }

    private async Task StartListeningAsync()
    {
        // SmtpServer does not report the port it bound for 0, so take a free one from the OS (tiny race, retried).
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            var options = new SmtpServerOptionsBuilder()
                .ServerName("latchkey-test-sink")
                .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
                .Build();
            var services = new SmtpServer.ComponentModel.ServiceProvider();
            services.Add(new SinkStore(this));
            _server = new SmtpServer.SmtpServer(options, services);
            _running = _server.StartAsync(_stop.Token);
            if (await AcceptsConnectionsAsync())
            {
                return;
            }

            _server.Shutdown();
            if (attempt == 5)
            {
                throw new InvalidOperationException("The SMTP sink could not start listening.");
            }
        }
    }

    private async Task<bool> AcceptsConnectionsAsync()
    {
        for (var i = 0; i < 50 && !_running!.IsCompleted; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Add(ReceivedMail mail)
    {
        _messages.Enqueue(mail);
        _arrived.Release();
    }

    private sealed class SinkStore(SmtpSink sink) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            var to = transaction.To.Select(m => m.User + "@" + m.Host).ToList();
            sink.Add(new ReceivedMail(to, message.From.ToString(), message.Subject ?? "", message.TextBody ?? "", message.HtmlBody));
            return SmtpResponse.Ok;
        }
    }
}
