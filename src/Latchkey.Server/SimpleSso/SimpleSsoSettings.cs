namespace Latchkey.Server.SimpleSso;

/// <summary>The simple-sso settings in the shape the endpoints use (base path with both slashes).</summary>
public sealed record SimpleSsoSettings(string BasePath, TimeSpan TokenLifetime, TimeSpan ClockSkew, int MaxBodyBytes, TimeSpan SweepInterval)
{
    public static readonly SimpleSsoSettings Default = new("/sso/", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), 16 * 1024, TimeSpan.FromMinutes(1));

    public static SimpleSsoSettings From(Hosting.LatchkeySimpleSsoOptions options) => new(
        NormalizeBasePath(options.BasePath), options.TokenLifetime, options.ClockSkew, options.MaxBodyBytes, options.SweepInterval);

    public static string NormalizeBasePath(string? basePath)
    {
        var path = string.IsNullOrWhiteSpace(basePath) ? "/" : basePath.Trim();
        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        return path.EndsWith('/') ? path : path + "/";
    }
}
