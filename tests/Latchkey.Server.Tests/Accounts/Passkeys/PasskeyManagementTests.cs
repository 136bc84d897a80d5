using System.Net;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Pages.Account.Passkeys;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Server.Tests.Accounts.Passkeys.PasskeyTestKit;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary>Registering, renaming and removing passkeys on /account/passkeys and its registration endpoints.</summary>
public sealed class PasskeyManagementTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly LatchkeyServerFactory _factory = new();
    private LatchkeyUser _alice = null!;
    private HttpClient _browser = null!;

    public async ValueTask InitializeAsync()
    {
        _alice = await _factory.CreateUserAsync("alice", Password);
        _browser = await _factory.SignInAsync("alice", Password);
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Several_passkeys_can_be_registered_and_are_listed_with_their_names()
    {
        using var laptop = new SoftwareAuthenticator();
        using var phone = new SoftwareAuthenticator();

        await RegisterAsync(_browser, laptop, "Laptop");
        await RegisterAsync(_browser, phone, "Phone");

        var page = await HtmlForms.ParseAsync(await _browser.GetAsync("/account/passkeys"));
        var names = page.QuerySelectorAll("#passkey-list .passkey-name").Select(e => e.TextContent.Trim()).ToList();
        Assert.Equal(["Laptop", "Phone"], names);
        Assert.Equal(2, await _factory.WithScopeAsync(s => s.GetRequiredService<PasskeyCredentials>().CountAsync(_alice.Id, CancellationToken.None)));
        Assert.True((await UserAsync(_factory, _alice.Id)).TwoFactorEnabled);
        Assert.Contains(await AuditAsync(_factory, _alice.Id), e => e.Event == PasskeyAuditEvents.Registered);
        Assert.NotNull(page.QuerySelector("script[src='/js/passkeys.js']"));
    }

    [Fact]
    public async Task The_options_exclude_passkeys_already_registered_and_name_the_user_by_id()
    {
        using var laptop = new SoftwareAuthenticator();
        await RegisterAsync(_browser, laptop, "Laptop");
        var token = await TokenAsync(_browser, "/account/passkeys");

        var (_, options) = await OptionsAsync(_browser, RegistrationOptions, token);

        Assert.Equal("localhost", options["rp"]!["id"]!.GetValue<string>());
        Assert.Equal("alice", options["user"]!["name"]!.GetValue<string>());
        Assert.Contains(options["excludeCredentials"]!.AsArray(), c => c!["id"]!.GetValue<string>() == laptop.CredentialIdText);
    }

    [Fact]
    public async Task Registering_the_same_authenticator_twice_is_refused()
    {
        using var laptop = new SoftwareAuthenticator();
        await RegisterAsync(_browser, laptop, "Laptop");
        var token = await TokenAsync(_browser, "/account/passkeys");
        var (ceremony, options) = await OptionsAsync(_browser, RegistrationOptions, token);

        using var again = await PostJsonAsync(_browser, Registration, token, Answer(ceremony, laptop.Create(options), name: "Again"));

        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("already_registered", await ErrorCodeAsync(again));
        Assert.Equal("Laptop", (await StoredAsync(_factory, laptop.CredentialId))!.Name);
    }

    [Theory]
    [InlineData("https://evil.example", "localhost")]
    [InlineData("http://localhost", "evil.example")]
    public async Task An_attestation_from_another_origin_or_relying_party_is_refused_and_nothing_is_stored(string origin, string rpId)
    {
        using var forged = new SoftwareAuthenticator(origin, rpId);
        var token = await TokenAsync(_browser, "/account/passkeys");
        var (ceremony, options) = await OptionsAsync(_browser, RegistrationOptions, token);

        using var response = await PostJsonAsync(_browser, Registration, token, Answer(ceremony, forged.Create(options), name: "Forged"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_credential", await ErrorCodeAsync(response));
        Assert.Null(await StoredAsync(_factory, forged.CredentialId));
        Assert.False((await UserAsync(_factory, _alice.Id)).TwoFactorEnabled);
    }

    [Fact]
    public async Task A_registration_answer_cannot_be_replayed()
    {
        using var laptop = new SoftwareAuthenticator();
        var token = await TokenAsync(_browser, "/account/passkeys");
        var (ceremony, options) = await OptionsAsync(_browser, RegistrationOptions, token);
        var answer = Answer(ceremony, laptop.Create(options), name: "Laptop");
        using (var first = await PostJsonAsync(_browser, Registration, token, answer))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var replay = await PostJsonAsync(_browser, Registration, token, answer);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("unknown_ceremony", await ErrorCodeAsync(replay));
    }

    [Fact]
    public async Task An_invalid_name_is_refused_before_anything_is_stored()
    {
        using var laptop = new SoftwareAuthenticator();
        var token = await TokenAsync(_browser, "/account/passkeys");
        var (ceremony, options) = await OptionsAsync(_browser, RegistrationOptions, token);

        using var response = await PostJsonAsync(_browser, Registration, token, Answer(ceremony, laptop.Create(options), name: new string('x', 65)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_name", await ErrorCodeAsync(response));
        Assert.Null(await StoredAsync(_factory, laptop.CredentialId));
    }

    [Fact]
    public async Task Registration_needs_a_signed_in_user()
    {
        var anonymous = _factory.CreateBrowser();
        var token = await TokenAsync(anonymous, "/account/login");

        using var response = await PostJsonAsync(anonymous, RegistrationOptions, token, "{}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("not_signed_in", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task A_passkey_can_be_renamed()
    {
        using var laptop = new SoftwareAuthenticator();
        await RegisterAsync(_browser, laptop, "Laptop");

        using var response = await SubmitAsync(".passkey-rename", laptop.CredentialIdText, "Work laptop");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await HtmlForms.ParseAsync(response);
        Assert.Equal("Work laptop", page.QuerySelector("#passkey-list .passkey-name")?.TextContent.Trim());
        Assert.Equal("Work laptop", (await StoredAsync(_factory, laptop.CredentialId))!.Name);
        Assert.Contains(await AuditAsync(_factory, _alice.Id), e => e.Event == PasskeyAuditEvents.Renamed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bell\u0007")]
    public async Task A_bad_new_name_is_refused_with_a_message(string name)
    {
        using var laptop = new SoftwareAuthenticator();
        await RegisterAsync(_browser, laptop, "Laptop");

        using var response = await SubmitAsync(".passkey-rename", laptop.CredentialIdText, name);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await HtmlForms.ParseAsync(response)).QuerySelector("#passkeys-error"));
        Assert.Equal("Laptop", (await StoredAsync(_factory, laptop.CredentialId))!.Name);
    }

    [Fact]
    public async Task A_passkey_can_be_removed_and_two_factor_follows()
    {
        using var laptop = new SoftwareAuthenticator();
        await RegisterAsync(_browser, laptop, "Laptop");

        using var response = await SubmitAsync(".passkey-remove", laptop.CredentialIdText);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull((await HtmlForms.ParseAsync(response)).QuerySelector("#no-passkeys"));
        Assert.Null(await StoredAsync(_factory, laptop.CredentialId));
        Assert.False((await UserAsync(_factory, _alice.Id)).TwoFactorEnabled);
        Assert.Contains(await AuditAsync(_factory, _alice.Id), e => e.Event == PasskeyAuditEvents.Removed);
    }

    [Fact]
    public async Task The_last_second_factor_of_a_user_who_must_use_mfa_cannot_be_removed()
    {
        using var laptop = new SoftwareAuthenticator();
        await RegisterAsync(_browser, laptop, "Laptop");
        await _factory.WithScopeAsync(async s =>
        {
            var db = s.GetRequiredService<LatchkeyDbContext>();
            await db.Set<LatchkeyUser>().Where(u => u.Id == _alice.Id).ExecuteUpdateAsync(set => set.SetProperty(u => u.MfaRequirement, MfaRequirement.Required));
        });

        using var response = await SubmitAsync(".passkey-remove", laptop.CredentialIdText);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(IndexModel.LastFactorMessage, (await HtmlForms.ParseAsync(response)).QuerySelector("#passkeys-error")?.TextContent.Trim());
        Assert.NotNull(await StoredAsync(_factory, laptop.CredentialId));
    }

    [Fact]
    public async Task Another_users_passkey_can_be_neither_renamed_nor_removed()
    {
        await _factory.CreateUserAsync("mallory", Password);
        var mallory = await _factory.SignInAsync("mallory", Password);
        using var laptop = new SoftwareAuthenticator();
        await RegisterAsync(_browser, laptop, "Laptop");
        using var own = new SoftwareAuthenticator();
        await RegisterAsync(mallory, own, "Mine");

        using var rename = await SubmitAsync(".passkey-rename", laptop.CredentialIdText, "Pwned", mallory);
        using var remove = await SubmitAsync(".passkey-remove", laptop.CredentialIdText, browser: mallory);

        Assert.Equal(HttpStatusCode.NotFound, rename.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, remove.StatusCode);
        Assert.Equal("Laptop", (await StoredAsync(_factory, laptop.CredentialId))!.Name);
    }

    [Fact]
    public async Task The_page_needs_a_signed_in_user()
    {
        using var response = await _factory.CreateBrowser().GetAsync("/account/passkeys");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/account/login", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_script_is_served_as_a_static_file()
    {
        using var response = await _factory.CreateBrowser().GetAsync("/js/passkeys.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("navigator.credentials", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Submits the first form matching <paramref name="selector"/> for the given passkey, as the page renders it.</summary>
    private async Task<HttpResponseMessage> SubmitAsync(string selector, string credentialId, string? name = null, HttpClient? browser = null)
    {
        browser ??= _browser;
        var pageUri = new Uri(browser.BaseAddress!, "/account/passkeys");
        var page = await HtmlForms.ParseAsync(await browser.GetAsync(pageUri));
        var values = new Dictionary<string, string?> { ["id"] = credentialId };
        if (name is not null)
        {
            values["name"] = name;
        }

        return await HtmlForms.SubmitAsync(browser, page, pageUri, values, selector);
    }
}
