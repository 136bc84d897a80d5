using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting;

/// <summary>Applies <c>X-Forwarded-For/Proto/Host</c> from the configured reverse proxies, and only from them.</summary>
public static class LatchkeyForwardedHeaders
{
    /// <summary>Adds the forwarded-headers middleware when <c>Latchkey:ForwardedHeaders:Enabled</c>; must run before anything reads the scheme, host or address.</summary>
    public static WebApplication UseLatchkeyForwardedHeaders(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<LatchkeyOptions>>().Value.ForwardedHeaders;
        if (settings.Enabled)
        {
            app.UseForwardedHeaders(CreateOptions(settings, app.Configuration["AllowedHosts"]));
        }

        return app;
    }

    /// <summary>Middleware options from validated settings; <paramref name="allowedHosts"/> is ASP.NET Core's <c>AllowedHosts</c> value.</summary>
    public static ForwardedHeadersOptions CreateOptions(LatchkeyForwardedHeadersOptions settings, string? allowedHosts)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            ForwardLimit = settings.ForwardLimit,
        };

        // The defaults trust loopback; only what the operator listed may speak for the client.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in settings.KnownProxies)
        {
            options.KnownProxies.Add(IPAddress.Parse(proxy.Trim()));
        }

        foreach (var network in settings.KnownNetworks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network.Trim()));
        }

        // Host filtering runs before this middleware and only sees the proxy's Host header, so the
        // forwarded host is held to the same AllowedHosts list here ("*" or unset allows any).
        var hosts = (allowedHosts ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (hosts.Length > 0 && !hosts.Contains("*"))
        {
            foreach (var host in hosts)
            {
                options.AllowedHosts.Add(host);
            }
        }

        return options;
    }
}
