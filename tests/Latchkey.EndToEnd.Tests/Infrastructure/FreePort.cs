using System.Net;
using System.Net.Sockets;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>Asks the OS for a port that is free on one loopback address.</summary>
internal static class FreePort
{
    public static int On(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
