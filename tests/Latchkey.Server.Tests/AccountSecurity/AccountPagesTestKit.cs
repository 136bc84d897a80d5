using System.Net;
using AngleSharp.Html.Dom;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.AccountSecurity;

/// <summary>Drives the account pages like a browser.</summary>
internal static class AccountPagesTestKit
{
    public static readonly TimeSpan MailTimeout = TimeSpan.FromSeconds(20);

    public static async Task<(HttpResponseMessage Response, IHtmlDocument Page)> GetAsync(HttpClient browser, string path)
    {
        var response = await browser.GetAsync(path);
        return (response, await HtmlForms.ParseAsync(response));
    }

    /// <summary>Loads <paramref name="path"/> and submits its form (<paramref name="formSelector"/>) with <paramref name="values"/>.</summary>
    public static async Task<(HttpResponseMessage Response, IHtmlDocument Page)> SubmitAsync(
        HttpClient browser, string path, Dictionary<string, string?> values, string? formSelector = null)
    {
        var pageUri = new Uri(browser.BaseAddress!, path);
        using var page = await browser.GetAsync(pageUri);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var document = await HtmlForms.ParseAsync(page);
        var response = await HtmlForms.SubmitAsync(browser, document, pageUri, values, formSelector);
        return (response, await HtmlForms.ParseAsync(response));
    }

    public static string? Text(IHtmlDocument page, string selector) => page.QuerySelector(selector)?.TextContent.Trim();

    /// <summary>The path and query of the link in <paramref name="mail"/> (its host is whatever the test server called itself).</summary>
    public static string LinkPath(ReceivedMail mail, string path) => new Uri(mail.FindLink(path)).PathAndQuery;
}
