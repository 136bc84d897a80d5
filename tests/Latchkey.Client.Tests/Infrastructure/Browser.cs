using System.Net;

namespace Latchkey.Client.Tests.Infrastructure;

/// <summary>
/// A minimal cookie-keeping browser. It keeps its own jar because System.Net's CookieContainer judges expiry
/// by the wall clock, while the apps under test run on a fake clock. Cookies are per host (not port) and path, like a browser's.
/// </summary>
public sealed class Browser : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    private readonly List<StoredCookie> _cookies = [];

    public IReadOnlyList<string> CookieNames => _cookies.Select(c => c.Name).ToList();

    /// <summary>Raw Set-Cookie headers received, oldest first.</summary>
    public List<string> SetCookieHeaders { get; } = [];

    public Task<BrowserResponse> GetAsync(Uri url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    public Task<BrowserResponse> PostFormAsync(Uri url, IReadOnlyDictionary<string, string> fields) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) });

    private async Task<BrowserResponse> SendAsync(HttpRequestMessage request)
    {
        using var disposeRequest = request;
        var url = request.RequestUri!;
        var cookies = _cookies.Where(c => c.Host == url.Host && url.AbsolutePath.StartsWith(c.Path, StringComparison.Ordinal)).ToList();
        if (cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => c.Name + "=" + c.Value)));
        }

        using var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var header in setCookies)
            {
                SetCookieHeaders.Add(header);
                Store(url, header);
            }
        }

        var location = response.Headers.Location?.OriginalString;
        return new BrowserResponse(url, response.StatusCode, location, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Follows redirects like a browser and returns every response, the last one being the page shown.</summary>
    public async Task<List<BrowserResponse>> NavigateAsync(Uri url, int maxHops = 10)
    {
        var trail = new List<BrowserResponse>();
        for (var hop = 0; hop < maxHops; hop++)
        {
            var response = await GetAsync(url);
            trail.Add(response);
            if (response.Location is null || (int)response.Status is < 300 or > 399)
            {
                return trail;
            }

            url = new Uri(url, response.Location);
        }

        throw new InvalidOperationException("Too many redirects.");
    }

    public void Dispose() => _http.Dispose();

    private void Store(Uri url, string header)
    {
        var parts = header.Split(';', StringSplitOptions.TrimEntries);
        var eq = parts[0].IndexOf('=');
        var name = parts[0][..eq];
        var value = parts[0][(eq + 1)..];
        var path = parts.FirstOrDefault(p => p.StartsWith("path=", StringComparison.OrdinalIgnoreCase))?[5..] ?? "/";
        var expires = parts.FirstOrDefault(p => p.StartsWith("expires=", StringComparison.OrdinalIgnoreCase))?[8..];
        _cookies.RemoveAll(c => c.Name == name && c.Host == url.Host && c.Path == path);

        // Deletions are written as an empty value dated 1970; anything else is kept whatever the (fake) date.
        var deleted = value.Length == 0 || (expires is not null && DateTimeOffset.Parse(expires).Year < 2000);
        if (!deleted)
        {
            _cookies.Add(new StoredCookie(url.Host, path, name, value));
        }
    }

    private sealed record StoredCookie(string Host, string Path, string Name, string Value);
}

public sealed record BrowserResponse(Uri Url, HttpStatusCode Status, string? Location, string Body);
