using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latchkey.Server.Tests.Sessions;

/// <summary>
/// A relying party's back-channel logout endpoint on a real socket (127.0.0.1, free port): records every
/// POST and answers with <see cref="Status"/>, or never answers while <see cref="Hang"/> is set.
/// </summary>
internal sealed class LogoutReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LogoutReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedLogout> Received { get; } = new();

    public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

    public bool Hang { get; set; }

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<LogoutReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new LogoutReceiver(app);
        app.MapPost("/backchannel-logout", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            receiver.Received.Enqueue(new ReceivedLogout(context.Request.ContentType ?? "", form.ToDictionary(f => f.Key, f => f.Value.ToString())));
            if (receiver.Hang)
            {
                await receiver._release.Task.WaitAsync(context.RequestAborted);
            }

            context.Response.StatusCode = (int)receiver.Status;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(address.TrimEnd('/') + "/backchannel-logout");
        return receiver;
    }

    /// <summary>A loopback URL where nothing listens (connection refused).</summary>
    public static Uri DeadEndpoint()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/backchannel-logout");
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record ReceivedLogout(string ContentType, IReadOnlyDictionary<string, string> Form);
