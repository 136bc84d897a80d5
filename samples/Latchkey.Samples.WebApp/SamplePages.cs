using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace Latchkey.Samples.WebApp;

/// <summary>The sample's three pages as plain HTML; every interpolated value is encoded.</summary>
internal static class SamplePages
{
    public static IResult Home(HttpContext context, SampleOptions sample, IAntiforgery antiforgery)
    {
        var user = context.User;
        var body = user.Identity?.IsAuthenticated == true
            ? $"""
               <p id="status">Signed in as <strong>{E(user.Identity.Name)}</strong> on {E(sample.Name)}.</p>
               <p><a href="/private">Private page</a></p>
               {LogoutForm(context, antiforgery)}
               """
            : $"""
               <p id="status">Not signed in.</p>
               <p><a href="/sso/login/?next=%2F">Sign in with single sign-on</a> or open the <a href="/private">private page</a>.</p>
               """;
        return Page(sample, "Home", body);
    }

    public static IResult Private(HttpContext context, SampleOptions sample, IAntiforgery antiforgery)
    {
        var claims = string.Join("\n", context.User.Claims.Select(c => $"<tr><td>{E(c.Type)}</td><td>{E(c.Value)}</td></tr>"));
        var body = $"""
            <p id="status">Signed in as <strong>{E(context.User.Identity?.Name)}</strong> on {E(sample.Name)}.</p>
            <p>This page is only for signed-in users. Claims from the SSO server:</p>
            <table><tr><th>Type</th><th>Value</th></tr>
            {claims}
            </table>
            <p><a href="/">Home</a></p>
            {LogoutForm(context, antiforgery)}
            """;
        return Page(sample, "Private", body);
    }

    public static IResult ConfirmLogout(HttpContext context, SampleOptions sample, IAntiforgery antiforgery) =>
        Page(sample, "Sign out", "<p>Sign out of " + E(sample.Name) + (sample.SingleLogout
            ? "? You will be signed out of the SSO server and every app that uses it.</p>"
            : "? (The SSO server session is not affected.)</p>") + LogoutForm(context, antiforgery));

    private static string LogoutForm(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return $"""
            <form method="post" action="/logout">
              <input type="hidden" name="{E(tokens.FormFieldName)}" value="{E(tokens.RequestToken)}">
              <button type="submit">Sign out</button>
            </form>
            """;
    }

    private static IResult Page(SampleOptions sample, string title, string body) => Results.Content(
        $"""
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{E(title)} - {E(sample.Name)}</title></head>
        <body>
        <h1>{E(sample.Name)}</h1>
        {body}
        </body>
        </html>
        """,
        "text/html; charset=utf-8");

    private static string E(string? value) => HtmlEncoder.Default.Encode(value ?? "");
}
