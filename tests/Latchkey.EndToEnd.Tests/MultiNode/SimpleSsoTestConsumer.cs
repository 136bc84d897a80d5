using System.Net;
using System.Text;
using System.Text.Json;
using Latchkey.EndToEnd.Tests.Infrastructure;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Latchkey.EndToEnd.Tests.MultiNode;

/// <summary>
/// A django-simple-sso consumer played by the test with the protocol library: the server-to-server calls go
/// to whichever node the test names, and a tiny site on 127.0.0.1 gives the browser a landing page for the
/// redirect back (it only echoes 200; the test reads the access token from the URL).
/// </summary>
internal sealed class SimpleSsoTestConsumer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly WebApplication _site;

    private SimpleSsoTestConsumer(WebApplication site, Uri origin)
    {
        _site = site;
        Origin = origin;
    }

    public Uri Origin { get; }

    public Uri Callback => new(Origin, "authenticate/");

    public static async Task<SimpleSsoTestConsumer> StartAsync(CancellationToken ct)
    {
        var origin = new Uri($"http://127.0.0.1:{FreePort.On(IPAddress.Loopback)}/");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(origin.GetLeftPart(UriPartial.Authority));
        var site = builder.Build();
        site.MapGet("/authenticate/", () => Results.Text("consumer callback"));
        await site.StartAsync(ct);
        return new SimpleSsoTestConsumer(site, origin);
    }

    /// <summary><c>request-token/</c> on <paramref name="node"/>; returns the request token.</summary>
    public async Task<string> RequestTokenAsync(Uri node, ConsumerCredentials keys, CancellationToken ct)
    {
        var payload = await CallAsync(node, "sso/request-token/", new RequestTokenRequest(Callback.AbsoluteUri), keys, ct);
        var response = RequestTokenResponse.From(payload);
        return response.IsSuccess ? response.Value!.RequestToken : throw new InvalidOperationException($"request-token: {response.Error}");
    }

    /// <summary>The raw access token from the URL the browser landed on.</summary>
    public static string AccessTokenFrom(Uri landedOn, ConsumerCredentials keys)
    {
        var signed = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(landedOn.Query)["access_token"].ToString();
        var opened = UrlSafeToken.Open(signed, new TimedSigner(keys.PrivateKey), DateTimeOffset.UtcNow, FreshnessWindow.Default);
        return opened.IsSuccess ? opened.Value! : throw new InvalidOperationException($"access_token: {opened.Error}");
    }

    /// <summary><c>verify/</c> on <paramref name="node"/>; returns the user.</summary>
    public async Task<SimpleSsoUser> VerifyAsync(Uri node, string accessToken, ConsumerCredentials keys, CancellationToken ct)
    {
        var payload = await CallAsync(node, "sso/verify/", new VerifyRequest(accessToken), keys, ct);
        var user = SimpleSsoUser.From(payload);
        return user.IsSuccess ? user.Value! : throw new InvalidOperationException($"verify: {user.Error}");
    }

    private static async Task<JsonElement> CallAsync<T>(Uri node, string path, T message, ConsumerCredentials keys, CancellationToken ct)
    {
        var signer = new TimedSigner(keys.PrivateKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, path))
        {
            Content = new StringContent(SimpleSsoEnvelope.Seal(message, signer, DateTimeOffset.UtcNow), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Services-Public-Key", keys.PublicKey);
        using var response = await Http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{path} on {node} answered {(int)response.StatusCode}: {body}");
        }

        var opened = SimpleSsoEnvelope.Open(body, signer, DateTimeOffset.UtcNow, FreshnessWindow.Default);
        return opened.IsSuccess ? opened.Value : throw new InvalidOperationException($"{path} response: {opened.Error}");
    }

    public async ValueTask DisposeAsync()
    {
        await _site.StopAsync();
        await _site.DisposeAsync();
    }
}
