using System.Net;
using AngleSharp.Html.Dom;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Mfa;

/// <summary>Sets up factors through the real services and drives the second-factor page like a browser.</summary>
internal static class MfaTestKit
{
    /// <summary>Enrols TOTP for the user at the app's current time (that step counts as used) and returns the secret.</summary>
    public static Task<byte[]> EnrolTotpAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(async services =>
        {
            var secret = TotpCodes.NewSecret();
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            Assert.True(await services.GetRequiredService<TotpAuthenticators>().EnableAsync(userId, secret, TotpCodes.CodeFor(secret, TotpCodes.StepAt(now)), CancellationToken.None));
            await services.GetRequiredService<MfaFactors>().SyncTwoFactorFlagAsync(userId, CancellationToken.None);
            return secret;
        });

    public static Task<IReadOnlyList<string>> NewRecoveryCodesAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<RecoveryCodes>().RegenerateAsync(userId, CancellationToken.None));

    public static string CurrentCode(LatchkeyServerFactory factory, byte[] secret) =>
        TotpCodes.CodeFor(secret, TotpCodes.StepAt(factory.Services.GetRequiredService<TimeProvider>().GetUtcNow()));

    public static Task SetUserAsync(LatchkeyServerFactory factory, Guid userId, Action<LatchkeyUser> change) =>
        factory.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<LatchkeyDbContext>();
            var user = await db.Users.SingleAsync(u => u.Id == userId);
            change(user);
            await db.SaveChangesAsync();
        });

    public static Task<LatchkeyUser> ReloadUserAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Users.AsNoTracking().SingleAsync(u => u.Id == userId));

    /// <summary>Loads <paramref name="pageUrl"/> and submits the form <paramref name="formId"/> with the given fields.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string pageUrl, string formId, IReadOnlyDictionary<string, string?>? values = null)
    {
        var pageUri = new Uri(browser.BaseAddress!, pageUrl);
        using var page = await browser.GetAsync(pageUri);
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {pageUrl} answered {(int)page.StatusCode} {page.Headers.Location}");
        var document = await HtmlForms.ParseAsync(page);
        return await HtmlForms.SubmitAsync(browser, document, pageUri, values, "#" + formId);
    }

    public static async Task<IHtmlDocument> GetPageAsync(HttpClient browser, string url)
    {
        using var response = await browser.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url} answered {(int)response.StatusCode} {response.Headers.Location}");
        return await HtmlForms.ParseAsync(response);
    }

    /// <summary>Audit events recorded for a user (subject), oldest first.</summary>
    public static Task<List<Latchkey.Server.Audit.AuditEntry>> AuditOfAsync(LatchkeyServerFactory factory, Guid userId) =>
        factory.WithScopeAsync(services => services.GetRequiredService<LatchkeyDbContext>().Set<Latchkey.Server.Audit.AuditEntry>()
            .AsNoTracking().Where(e => e.SubjectId == userId).OrderBy(e => e.Sequence).ToListAsync());

    /// <summary>Whether the browser holds an SSO session: the home page says who is signed in.</summary>
    public static async Task<bool> IsSignedInAsync(HttpClient browser)
    {
        var home = await GetPageAsync(browser, "/");
        return home.QuerySelector("#signed-in") is not null;
    }
}
