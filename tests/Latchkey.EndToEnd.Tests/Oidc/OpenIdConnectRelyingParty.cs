using System.Net;
using System.Security.Claims;
using Latchkey.EndToEnd.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Latchkey.EndToEnd.Tests.Oidc;

/// <summary>
/// A relying party as an ASP.NET Core developer would write it: cookie sign-in plus Microsoft's
/// <c>OpenIdConnect</c> handler with its defaults (code flow, PKCE, <c>response_mode=form_post</c>,
/// userinfo, RP-initiated logout with <c>id_token_hint</c>), on real Kestrel at 127.0.0.4 — another
/// host than Latchkey, so the browser keeps separate cookies.
/// Pages: <c>/private</c> (sign-in required; answers the user's claims as JSON), <c>/silent</c>
/// (<c>prompt=none</c>), <c>/logout</c>, <c>/signed-out</c>, <c>/failed</c> (remote failures).
/// </summary>
internal sealed class OpenIdConnectRelyingParty : IAsyncDisposable
{
    public const string CallbackPath = "/signin-oidc";
    public const string SignedOutCallbackPath = "/signout-callback-oidc";
    private static readonly IPAddress Address = IPAddress.Parse("127.0.0.4");

    private readonly WebApplication _app;
    private readonly ProcessOutput _log;

    private OpenIdConnectRelyingParty(WebApplication app, Uri url, ProcessOutput log, List<IReadOnlyDictionary<string, string>> requests)
    {
        _app = app;
        Url = url;
        _log = log;
        _requests = requests;
    }

    private readonly List<IReadOnlyDictionary<string, string>> _requests;

    /// <summary>
    /// The authorization request parameters the handler built, in order. The handler pushes them (PAR)
    /// when discovery offers it, so the browser's URL only carries a request_uri: they are read here.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> AuthorizationRequests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public Uri Url { get; }

    public Uri RedirectUri => new(Url, CallbackPath.TrimStart('/'));

    public Uri PostLogoutRedirectUri => new(Url, SignedOutCallbackPath.TrimStart('/'));

    /// <summary>What the RP logged (the handler explains failures there).</summary>
    public string Log => _log.ToString();

    /// <summary>A free address for the RP: the client registration needs its URIs before it starts.</summary>
    public static Uri ReserveUrl() => new($"http://{Address}:{FreePort.On(Address)}/");

    public static async Task<OpenIdConnectRelyingParty> StartAsync(Uri url, Uri authority, OidcClient client, CancellationToken cancellationToken)
    {
        var log = new ProcessOutput();
        var requests = new List<IReadOnlyDictionary<string, string>>();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(Address, url.Port));
        builder.Logging.ClearProviders().AddProvider(new CapturingLoggerProvider(log)).SetMinimumLevel(LogLevel.Information);

        builder.Services.AddAuthorization();
        builder.Services
            .AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(options => options.Cookie.Name = "rp-session")
            .AddOpenIdConnect(options =>
            {
                options.Authority = authority.ToString();
                // Loopback HTTP in tests; a real deployment keeps the default (HTTPS metadata only).
                options.RequireHttpsMetadata = false;
                options.ClientId = client.ClientId;
                options.ClientSecret = client.ClientSecret;
                options.ResponseType = "code";
                options.UsePkce = true;
                options.Scope.Clear();
                foreach (var scope in new[] { "openid", "profile", "email" })
                {
                    options.Scope.Add(scope);
                }

                options.SaveTokens = true;
                options.GetClaimsFromUserInfoEndpoint = true;
                options.MapInboundClaims = false;
                options.TokenValidationParameters.NameClaimType = "preferred_username";
                options.CallbackPath = CallbackPath;
                options.SignedOutCallbackPath = SignedOutCallbackPath;
                // The handler marks these Secure (they must be SameSite=None); the test browser does not
                // send Secure cookies over plain HTTP, which is all this loopback deployment has.
                options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.Events.OnRedirectToIdentityProvider = context =>
                {
                    lock (requests)
                    {
                        requests.Add(new Dictionary<string, string>(context.ProtocolMessage.Parameters));
                    }

                    return Task.CompletedTask;
                };
                options.Events.OnRemoteFailure = context =>
                {
                    // Shown as a page instead of the handler's default exception, so tests can read the error.
                    context.Response.Redirect("/failed?error=" + Uri.EscapeDataString(context.Failure?.Message ?? "unknown"));
                    context.HandleResponse();
                    return Task.CompletedTask;
                };
            });

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/private", (ClaimsPrincipal user) => Results.Json(new Dictionary<string, string[]>(
            user.Claims.GroupBy(claim => claim.Type).Select(group => KeyValuePair.Create(group.Key, group.Select(claim => claim.Value).ToArray())))))
            .RequireAuthorization();
        app.MapGet("/silent", () => Results.Challenge(
            new OpenIdConnectChallengeProperties { Prompt = "none", RedirectUri = "/private" },
            [OpenIdConnectDefaults.AuthenticationScheme]));
        app.MapGet("/logout", () => Results.SignOut(
            new AuthenticationProperties { RedirectUri = "/signed-out" },
            [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]));
        app.MapGet("/signed-out", () => Results.Text("signed out"));
        app.MapGet("/failed", (string? error) => Results.Text("sign-in failed: " + error));

        await app.StartAsync(cancellationToken);
        return new OpenIdConnectRelyingParty(app, url, log, requests);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private sealed class CapturingLoggerProvider(ProcessOutput output) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(output, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(ProcessOutput output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            output.Add(logLevel.ToString(), $"{category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
    }
}
