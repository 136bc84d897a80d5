using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>One request the browser made and what came back.</summary>
internal sealed record BrowserVisit(HttpMethod Method, Uri Url, HttpStatusCode Status, Uri? Location);

/// <summary>The page the browser ended on after following redirects.</summary>
internal sealed record BrowserPage(Uri Url, HttpStatusCode Status, string Body)
{
    public IHtmlDocument Document { get; } = new HtmlParser().ParseDocument(Body);
}

/// <summary>
/// A cookie-keeping HTTP client that follows redirects itself, so tests can see every hop (which
/// host answered, whether a login form was shown) the way a browser's network log would.
/// Cookies are kept per host, and 127.0.0.1 / .2 / .3 are different hosts, like different sites.
/// </summary>
internal sealed class Browser : IDisposable
{
    public const string AntiforgeryField = "__RequestVerificationToken";
    private const int MaxRedirects = 20;

    private readonly HttpClient _client;
    private readonly List<BrowserVisit> _history = [];

    public Browser()
        : this(new CookieContainer())
    {
    }

    /// <summary>A browser with the given cookie jar (e.g. a copy of another's, like a second device holding the same cookie).</summary>
    public Browser(CookieContainer cookies)
    {
        Cookies = cookies;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = cookies,
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public CookieContainer Cookies { get; }

    public IReadOnlyList<BrowserVisit> History => _history;

    public Task<BrowserPage> GoAsync(Uri url, CancellationToken cancellationToken) =>
        SendFollowingRedirectsAsync(HttpMethod.Get, url, form: null, cancellationToken);

    /// <summary>
    /// Fills the page's login form (the form with an antiforgery token and a password field) and
    /// submits it, keeping every hidden field the server put there.
    /// </summary>
    public Task<BrowserPage> SignInAsync(BrowserPage page, string userName, string password, CancellationToken cancellationToken)
    {
        var form = FindLoginForm(page)
            ?? throw new InvalidOperationException($"No login form on {page.Url} ({(int)page.Status}).\n{page.Body}");
        var inputs = form.QuerySelectorAll("input[name]").OfType<IHtmlInputElement>().ToList();
        var userNameField = inputs.FirstOrDefault(input => input.Type.ToLowerInvariant() is "text" or "email")
            ?? throw new InvalidOperationException($"The login form on {page.Url} has no user name field.");
        var passwordField = inputs.First(input => input.Type.Equals("password", StringComparison.OrdinalIgnoreCase));
        return SubmitAsync(
            page,
            form,
            new Dictionary<string, string> { [userNameField.Name!] = userName, [passwordField.Name!] = password },
            cancellationToken);
    }

    /// <summary>
    /// Submits <paramref name="form"/> the way a browser would: its inputs with their current values
    /// (checked boxes only), with <paramref name="values"/> typed over them; a value for a name the form
    /// has no input for is added, as a pressed <c>&lt;button name value&gt;</c> would be.
    /// </summary>
    public Task<BrowserPage> SubmitAsync(
        BrowserPage page, IHtmlFormElement form, IReadOnlyDictionary<string, string>? values, CancellationToken cancellationToken)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var input in form.QuerySelectorAll("input[name]").OfType<IHtmlInputElement>())
        {
            var type = input.Type.ToLowerInvariant();
            if (type is "submit" or "button" or "image" or "reset" || (type is "checkbox" or "radio" && !input.IsChecked))
            {
                continue;
            }

            var value = values is not null && values.TryGetValue(input.Name!, out var typed) ? typed : input.Value;
            fields.Add(new(input.Name!, value));
        }

        // Values for names the form has no input for: the pressed submit button's name and value.
        foreach (var (name, value) in values ?? new Dictionary<string, string>())
        {
            if (!fields.Exists(field => field.Key == name))
            {
                fields.Add(new(name, value));
            }
        }

        var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? page.Url : new Uri(page.Url, form.GetAttribute("action"));
        return string.Equals(form.Method, "post", StringComparison.OrdinalIgnoreCase)
            ? SendFollowingRedirectsAsync(HttpMethod.Post, action, fields, cancellationToken)
            : SendFollowingRedirectsAsync(HttpMethod.Get, new UriBuilder(action) { Query = QueryOf(fields) }.Uri, form: null, cancellationToken);
    }

    private static string QueryOf(IEnumerable<KeyValuePair<string, string>> fields) =>
        string.Join('&', fields.Select(field => Uri.EscapeDataString(field.Key) + "=" + Uri.EscapeDataString(field.Value)));

    public static IHtmlFormElement? FindLoginForm(BrowserPage page) =>
        page.Document.Forms.FirstOrDefault(form =>
            form.QuerySelector($"input[name='{AntiforgeryField}']") is not null
            && form.QuerySelector("input[type='password']") is not null);

    private async Task<BrowserPage> SendFollowingRedirectsAsync(
        HttpMethod method, Uri url, IReadOnlyList<KeyValuePair<string, string>>? form, CancellationToken cancellationToken)
    {
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = new HttpRequestMessage(method, url)
            {
                Content = form is null ? null : new FormUrlEncodedContent(form),
            };
            using var response = await _client.SendAsync(request, cancellationToken);
            var location = response.Headers.Location is { } header ? new Uri(url, header) : null;
            _history.Add(new BrowserVisit(method, url, response.StatusCode, location));

            if (location is null || (int)response.StatusCode is < 300 or > 399)
            {
                return new BrowserPage(url, response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
            }

            if (response.StatusCode is not (HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect))
            {
                method = HttpMethod.Get;
                form = null;
            }

            url = location;
        }

        throw new InvalidOperationException($"More than {MaxRedirects} redirects; last URL {url}.");
    }

    public void Dispose() => _client.Dispose();
}
