using System.Net;
using System.Net.Sockets;

namespace Latchkey.Server.Tests.Scaling;

/// <summary>The Redis named by <c>LATCHKEY_TEST_REDIS</c> (e.g. <c>127.0.0.1:6379</c>; the CI script starts one).</summary>
internal static class RedisTestServer
{
    public const string EnvironmentVariable = "LATCHKEY_TEST_REDIS";

    public static string? Address => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// A connection string with a fresh channel prefix (or <paramref name="prefix"/>), so tests sharing one Redis
    /// never hear each other; skips the test when no Redis is configured.
    /// </summary>
    public static string ConnectionStringOrSkip(string? clientName = null, string? prefix = null)
    {
        if (Address is not { } address)
        {
            Assert.Skip($"{EnvironmentVariable} is not set (e.g. 127.0.0.1:6379); the CI script starts a Redis and sets it.");
            throw new System.Diagnostics.UnreachableException();
        }

        var name = clientName is null ? "" : $",name={clientName}";
        return $"{address},channelPrefix={prefix ?? NewPrefix()}{name}";
    }

    /// <summary>A channel/key prefix no other test uses.</summary>
    public static string NewPrefix() => $"test-{Guid.NewGuid():N}:";

    /// <summary>A loopback address where nothing listens: a Redis that is down.</summary>
    public static string Unreachable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port},connectTimeout=500,connectRetry=1";
    }
}
