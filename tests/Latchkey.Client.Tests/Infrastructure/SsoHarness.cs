using System.Security.Claims;
using Latchkey.Client.AspNetCore;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Client.Tests.Infrastructure;

/// <summary>A fake Python SSO server and a client app using AddSimpleSso, both on real Kestrel, sharing one fake clock.</summary>
public sealed class SsoHarness : IAsyncDisposable
{
    private readonly List<Browser> _browsers = [];

    private SsoHarness(FakeTimeProvider time, FakeSimpleSsoServer server, WebApplication client, Uri clientBase)
    {
        Time = time;
        Server = server;
        Client = client;
        ClientBase = clientBase;
    }

    public FakeTimeProvider Time { get; }

    public FakeSimpleSsoServer Server { get; }

    public WebApplication Client { get; }

    public Uri ClientBase { get; }

    public static async Task<SsoHarness> StartAsync(
        PythonItsDangerous version,
        Action<SimpleSsoOptions>? configureClient = null,
        DateTimeOffset? start = null,
        string privateKey = FakeSimpleSsoServer.DefaultPrivateKey,
        ILoggerProvider? clientLogs = null,
        string? pathBase = null)
    {
        // Start at a fixed instant: nothing depends on the machine's clock.
        var time = new FakeTimeProvider(start ?? new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));
        var server = await FakeSimpleSsoServer.StartAsync(version, time, privateKey);
        var client = await StartClientAsync(time, o =>
        {
            o.ServerUrl = server.SsoUrl;
            o.PublicKey = FakeSimpleSsoServer.PublicKey;
            o.PrivateKey = privateKey;
            configureClient?.Invoke(o);
        }, clientLogs, pathBase);
        var address = client.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new SsoHarness(time, server, client, new Uri(address.TrimEnd('/') + "/"));
    }

    public static async Task<WebApplication> StartClientAsync(TimeProvider time, Action<SimpleSsoOptions> configure, ILoggerProvider? logs = null, string? pathBase = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        }

        builder.Services.AddSingleton(time);
        builder.Services
            .AddAuthentication(o =>
            {
                o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = SimpleSsoDefaults.AuthenticationScheme;
            })
            .AddCookie(o => o.Cookie.Name = "client.auth")
            .AddSimpleSso(configure);
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        if (pathBase is not null)
        {
            app.UsePathBase(pathBase);
        }

        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/", (ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? "signed in as " + user.Identity.Name : "anonymous");
        app.MapGet("/{**path}", (ClaimsPrincipal user, HttpContext context) => Results.Json(new
        {
            path = context.Request.Path.Value + context.Request.QueryString.Value,
            claims = user.Claims.Select(c => new[] { c.Type, c.Value, c.ValueType }),
        })).RequireAuthorization();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    public Browser NewBrowser()
    {
        var browser = new Browser();
        _browsers.Add(browser);
        return browser;
    }

    public Uri ClientUrl(string relative) => new(ClientBase, relative);

    /// <summary>The latest <c>redirect_to</c> the client sent to request-token.</summary>
    public Uri LastRedirectTarget => new(Server.RedirectTargets.Last());

    public async ValueTask DisposeAsync()
    {
        foreach (var browser in _browsers)
        {
            browser.Dispose();
        }

        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
