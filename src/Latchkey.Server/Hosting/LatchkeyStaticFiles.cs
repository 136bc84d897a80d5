using Microsoft.Extensions.FileProviders;

namespace Latchkey.Server.Hosting;

/// <summary>
/// Serves <c>wwwroot</c> (scripts; the Content-Security-Policy forbids inline ones) from resources embedded in the server
/// assembly, so the files match the build whatever the working directory or deployment layout (built dll, publish, container).
/// </summary>
public static class LatchkeyStaticFiles
{
    public static IApplicationBuilder UseLatchkeyStaticFiles(this IApplicationBuilder app) =>
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new EmbeddedFileProvider(typeof(LatchkeyStaticFiles).Assembly, "Latchkey.Server.wwwroot"),
        });
}
