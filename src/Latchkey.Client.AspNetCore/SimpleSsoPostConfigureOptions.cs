using Microsoft.Extensions.Options;

namespace Latchkey.Client.AspNetCore;

/// <summary>Creates the backchannel HttpClient when the application supplied none.</summary>
internal sealed class SimpleSsoPostConfigureOptions : IPostConfigureOptions<SimpleSsoOptions>
{
    public void PostConfigure(string? name, SimpleSsoOptions options)
    {
        if (options.Backchannel is not null)
        {
            return;
        }

        // A redirect on a signed POST would silently become a GET with no body: treat it as a failure instead.
        var handler = options.BackchannelHttpHandler ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        options.Backchannel = new HttpClient(handler) { Timeout = options.BackchannelTimeout };
        options.Backchannel.DefaultRequestHeaders.UserAgent.ParseAdd("Latchkey.Client.AspNetCore/1.0");
    }
}
