using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Audit;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary>A stored passkey row as the tests inspect it.</summary>
internal sealed record StoredPasskey(string Name, uint SignCount, DateTimeOffset? LastUsedAt);

/// <summary>Drives the passkey JSON endpoints the way <c>js/passkeys.js</c> does: antiforgery token from the page, JSON bodies.</summary>
internal static class PasskeyTestKit
{
    public const string RegistrationOptions = "/account/passkeys/registration/options";
    public const string Registration = "/account/passkeys/registration";
    public const string SignInOptions = "/account/passkeys/signin/options";
    public const string SignIn = "/account/passkeys/signin";
    public const string SecondFactorOptions = "/account/passkeys/second-factor/options";
    public const string SecondFactor = "/account/passkeys/second-factor";

    /// <summary>The antiforgery token a page gives this browser (the JS reads the same hidden input).</summary>
    public static async Task<string> TokenAsync(HttpClient browser, string pagePath)
    {
        using var page = await browser.GetAsync(pagePath);
        page.EnsureSuccessStatusCode();
        var document = await HtmlForms.ParseAsync(page);
        return document.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
            ?? throw new InvalidOperationException($"No antiforgery token on {pagePath}.");
    }

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient browser, string path, string? token, string body, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        return browser.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient browser, string path, string? token, JsonNode body) =>
        PostJsonAsync(browser, path, token, body.ToJsonString());

    /// <summary>Asks for options; fails the test unless they came.</summary>
    public static async Task<(string Ceremony, JsonNode Options)> OptionsAsync(HttpClient browser, string path, string token)
    {
        using var response = await PostJsonAsync(browser, path, token, "{}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        var json = JsonNode.Parse(text)!;
        return (json["ceremony"]!.GetValue<string>(), json["options"]!);
    }

    public static JsonObject Answer(string ceremony, JsonNode credential, string? returnUrl = null, string? name = null)
    {
        var body = new JsonObject { ["ceremony"] = ceremony, ["credential"] = credential.DeepClone() };
        if (returnUrl is not null)
        {
            body["returnUrl"] = returnUrl;
        }

        if (name is not null)
        {
            body["name"] = name;
        }

        return body;
    }

    /// <summary>Registers <paramref name="authenticator"/> for the signed-in <paramref name="browser"/>.</summary>
    public static async Task RegisterAsync(HttpClient browser, SoftwareAuthenticator authenticator, string name = "Test key")
    {
        var token = await TokenAsync(browser, "/account/passkeys");
        var (ceremony, options) = await OptionsAsync(browser, RegistrationOptions, token);
        using var response = await PostJsonAsync(browser, Registration, token, Answer(ceremony, authenticator.Create(options), name: name));
        Assert.True(response.IsSuccessStatusCode, $"registration: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return string.IsNullOrEmpty(text) ? null : JsonNode.Parse(text)?["error"]?.GetValue<string>();
    }

    public static Task<StoredPasskey?> StoredAsync(LatchkeyServerFactory factory, byte[] credentialId) =>
        factory.WithScopeAsync(async services =>
        {
            var row = await services.GetRequiredService<LatchkeyDbContext>().Set<IdentityUserPasskey<Guid>>().AsNoTracking()
                .Where(p => p.CredentialId == credentialId)
                .Select(p => new { p.Data, LastUsedAt = EF.Property<DateTimeOffset?>(p, IdentityUserPasskeyConfiguration.LastUsedAt) })
                .SingleOrDefaultAsync();
            return row is null ? null : new StoredPasskey(row.Data.Name ?? "", row.Data.SignCount, row.LastUsedAt);
        });

    public static Task<LatchkeyUser> UserAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<LatchkeyUser>().AsNoTracking().SingleAsync(u => u.Id == userId));

    public static Task<List<SsoSession>> SessionsAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<SsoSession>().AsNoTracking()
            .Where(s => s.UserId == userId && s.EndedAt == null).ToListAsync());

    public static Task<List<AuditEntry>> AuditAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>().AsNoTracking()
            .Where(e => e.SubjectId == userId).OrderBy(e => e.Sequence).ToListAsync());

    public static Task<int> CeremonyCountAsync(LatchkeyServerFactory factory) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<PasskeyCeremony>().CountAsync());
}
