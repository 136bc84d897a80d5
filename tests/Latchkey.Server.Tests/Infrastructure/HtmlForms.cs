using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Latchkey.Server.Tests.Infrastructure;

/// <summary>Reads HTML pages and submits their forms the way a browser would (hidden fields, antiforgery token included).</summary>
public static class HtmlForms
{
    private static readonly HtmlParser Parser = new();

    public static async Task<IHtmlDocument> ParseAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        return Parser.ParseDocument(html);
    }

    public static IHtmlDocument Parse(string html) => Parser.ParseDocument(html);

    /// <summary>
    /// Submits the form matching <paramref name="formSelector"/> (default: the first form inside <c>main</c>)
    /// of <paramref name="page"/>, which was loaded from <paramref name="pageUri"/>. Fields keep their current
    /// values unless overridden by <paramref name="values"/>; a value of null removes the field.
    /// </summary>
    public static Task<HttpResponseMessage> SubmitAsync(
        HttpClient client,
        IHtmlDocument page,
        Uri pageUri,
        IReadOnlyDictionary<string, string?>? values = null,
        string? formSelector = null)
    {
        var form = page.QuerySelector(formSelector ?? "main form") as IHtmlFormElement
            ?? throw new InvalidOperationException($"No form '{formSelector ?? "main form"}' on the page.");

        var fields = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements)
        {
            switch (element)
            {
                case IHtmlInputElement input when !string.IsNullOrEmpty(input.Name) && input.Type is not ("submit" or "button" or "image" or "reset"):
                    if (input.Type is "checkbox" or "radio" && !input.IsChecked)
                    {
                        continue;
                    }

                    fields.Add(new(input.Name!, input.Value));
                    break;
                case IHtmlTextAreaElement area when !string.IsNullOrEmpty(area.Name):
                    fields.Add(new(area.Name!, area.Value));
                    break;
                case IHtmlSelectElement select when !string.IsNullOrEmpty(select.Name):
                    fields.Add(new(select.Name!, select.Value ?? ""));
                    break;
            }
        }

        foreach (var (name, value) in values ?? new Dictionary<string, string?>())
        {
            fields.RemoveAll(field => string.Equals(field.Key, name, StringComparison.Ordinal));
            if (value is not null)
            {
                fields.Add(new(name, value));
            }
        }

        var action = form.GetAttribute("action");
        var target = string.IsNullOrEmpty(action) ? pageUri : new Uri(pageUri, action);
        return client.PostAsync(target, new FormUrlEncodedContent(fields));
    }
}

/// <summary>The login page, driven like a browser.</summary>
public static class LoginForm
{
    /// <summary>GETs <c>/account/login</c> (with <paramref name="returnUrl"/>) and posts the credentials through the form.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string userName, string password, string? returnUrl = null)
    {
        var pageUri = new Uri(browser.BaseAddress!, returnUrl is null ? "/account/login" : $"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        using var page = await browser.GetAsync(pageUri);
        page.EnsureSuccessStatusCode();
        var document = await HtmlForms.ParseAsync(page);
        return await HtmlForms.SubmitAsync(browser, document, pageUri, new Dictionary<string, string?>
        {
            ["username"] = userName,
            ["password"] = password,
        });
    }
}
