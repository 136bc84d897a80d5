using System.Net;
using Latchkey.Server.Audit;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Tests.Audit;

public sealed class AuditAdminPageTests : IAsyncLifetime
{
    private readonly LatchkeyServerFactory _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Admin_actions_on_the_pages_are_audited_with_the_admin_as_actor_and_listed_on_the_audit_page()
    {
        using var admin = await SignInAdminAsync();
        var users = await GetPageAsync(admin, "/admin/users");
        using (var created = await HtmlForms.SubmitAsync(admin, users, new Uri(admin.BaseAddress!, "/admin/users"), new Dictionary<string, string?>
        {
            ["Input.UserName"] = "bob",
            ["Input.Email"] = "bob@example.org",
            ["Input.Password"] = "bob-secret-password-1",
        }, formSelector: "#create-user"))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        using var page = await admin.GetAsync("/admin/audit?event=admin.user.created", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var document = await HtmlForms.ParseAsync(page);
        var rows = document.QuerySelectorAll("table.audit-table tbody tr");
        var row = Assert.Single(rows);
        var cells = row.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal("admin.user.created", cells[2]);
        Assert.Equal("success", cells[3]);
        Assert.Equal(LatchkeyServerFactory.AdminUserName, cells[4]);
        Assert.Equal("bob", cells[5]);
        Assert.DoesNotContain("bob-secret-password-1", document.Body!.OuterHtml, StringComparison.Ordinal);
        Assert.NotNull(document.QuerySelector("nav.admin-nav a[href='/admin/audit']"));

        var detailLink = row.QuerySelector("td a")!.GetAttribute("href")!;
        using var detail = await admin.GetAsync(detailLink, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, detail.StatusCode);
        var detailText = (await HtmlForms.ParseAsync(detail)).QuerySelector("table.audit-entry")!.TextContent;
        Assert.Contains("admin.user.created", detailText, StringComparison.Ordinal);
        Assert.Matches("[0-9a-f]{64}", detailText);
    }

    [Fact]
    public async Task Filters_combine_and_paging_walks_back_by_sequence()
    {
        for (var i = 0; i < 60; i++)
        {
            await AppendAsync(new AuditRecord("test.paged", i % 2 == 0 ? AuditOutcome.Success : AuditOutcome.Failure) { SubjectName = "carol", App = "oidc:portal" });
        }

        await AppendAsync(new AuditRecord("test.paged", AuditOutcome.Failure) { SubjectName = "dave", App = "oidc:portal" });
        using var admin = await SignInAdminAsync();

        var failures = await RowsAsync(admin, "/admin/audit?event=test.paged&user=CAROL&app=oidc:portal&outcome=failure");
        Assert.Equal(30, failures.Count);
        Assert.All(failures, r => Assert.Equal("failure", r[3]));

        var first = await HtmlForms.ParseAsync(await admin.GetAsync("/admin/audit?event=test.", TestContext.Current.CancellationToken));
        Assert.Equal(IndexPageSize, first.QuerySelectorAll("table.audit-table tbody tr").Length);
        var older = first.QuerySelector("#older")!.GetAttribute("href")!;
        Assert.Contains("event=test.", older, StringComparison.Ordinal);
        var second = await RowsAsync(admin, older);
        Assert.Equal(61 - IndexPageSize, second.Count);
        var firstSequences = first.QuerySelectorAll("table.audit-table tbody tr td:first-child").Select(c => long.Parse(c.TextContent.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(second.Select(r => long.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).All(s => s < firstSequences.Min()));
    }

    [Theory]
    [InlineData("/admin/audit?outcome=maybe")]
    [InlineData("/admin/audit?from=yesterday")]
    [InlineData("/admin/audit?before=-5")]
    public async Task Bad_filters_get_400_with_a_message(string path)
    {
        using var admin = await SignInAdminAsync();

        using var response = await admin.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await HtmlForms.ParseAsync(response)).QuerySelector(".errors li"));
    }

    [Theory]
    [InlineData("/admin/audit/entry?sequence=999999", HttpStatusCode.NotFound)]
    [InlineData("/admin/audit/entry?sequence=0", HttpStatusCode.BadRequest)]
    [InlineData("/admin/audit/entry?sequence=abc", HttpStatusCode.BadRequest)]
    public async Task Unknown_or_malformed_entries_are_4xx(string path, HttpStatusCode expected)
    {
        using var admin = await SignInAdminAsync();

        using var response = await admin.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Non_admins_cannot_read_the_audit_log()
    {
        await _server.CreateUserAsync("pat", "pat-password-123");
        using var browser = await _server.SignInAsync("pat", "pat-password-123");

        using var response = await browser.GetAsync("/admin/audit", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/denied", response.Headers.Location!.AbsolutePath);
    }

    private const int IndexPageSize = Latchkey.Server.Pages.Admin.Audit.IndexModel.PageSize;

    private Task AppendAsync(AuditRecord record) =>
        _server.WithScopeAsync(services => services.GetRequiredService<IAuditLog>().AppendAsync(record));

    private static async Task<List<List<string>>> RowsAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await HtmlForms.ParseAsync(response);
        return document.QuerySelectorAll("table.audit-table tbody tr")
            .Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList())
            .ToList();
    }

    private Task<HttpClient> SignInAdminAsync() => _server.SignInAsync(LatchkeyServerFactory.AdminUserName, LatchkeyServerFactory.AdminPassword);

    private static async Task<AngleSharp.Html.Dom.IHtmlDocument> GetPageAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await HtmlForms.ParseAsync(response);
    }
}
