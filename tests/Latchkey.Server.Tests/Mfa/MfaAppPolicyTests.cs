using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Oidc;
using Latchkey.Server.Tests.SimpleSso;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Latchkey.Server.Tests.Mfa;

/// <summary>Per-app, per-user and global MFA policy at the simple-sso and OIDC authorize endpoints: step-up and forced enrolment.</summary>
public sealed class MfaAppPolicyTests
{
    private const string Password = "correct horse battery";
    private const string Origin = "https://app.example";
    private const string RedirectTo = Origin + "/sso/authenticate/?next=%2F";

    [Theory]
    [InlineData(LatchkeyTestStorage.Sqlite)]
    [InlineData(LatchkeyTestStorage.PostgreSql)]
    public async Task A_consumer_requiring_mfa_steps_a_single_factor_session_up_then_gets_its_login(LatchkeyTestStorage storage)
    {
        await using var factory = LatchkeyServerFactory.For(storage, useFakeTime: true);
        var alice = await factory.CreateUserAsync("alice", Password);
        var keys = await CreateConsumerAsync(factory, "payroll", requireMfa: true);
        var browser = await factory.SignInAsync("alice", Password);
        var secret = await MfaTestKit.EnrolTotpAsync(factory, alice.Id);
        factory.Time!.Advance(TimeSpan.FromSeconds(30));
        var requestToken = await new SimpleSsoWire(factory.CreateClient()).GetRequestTokenAsync(keys, RedirectTo, factory.Time.GetUtcNow());
        var authorizeUrl = "/sso/authorize/?token=" + requestToken;

        using var stepUp = await browser.GetAsync(authorizeUrl);

        Assert.Equal(HttpStatusCode.Redirect, stepUp.StatusCode);
        Assert.Equal("/account/mfa/verify?returnUrl=" + Uri.EscapeDataString(authorizeUrl), stepUp.Headers.Location?.OriginalString);
        Assert.Null(await BoundUserAsync(factory, requestToken));

        using var verified = await MfaTestKit.SubmitAsync(browser, stepUp.Headers.Location!.OriginalString, "totp-form",
            new Dictionary<string, string?> { ["code"] = MfaTestKit.CurrentCode(factory, secret) });
        Assert.Equal(HttpStatusCode.Redirect, verified.StatusCode);
        Assert.Equal(authorizeUrl, verified.Headers.Location?.OriginalString);

        using var granted = await browser.GetAsync(authorizeUrl);
        Assert.Equal(HttpStatusCode.Redirect, granted.StatusCode);
        Assert.StartsWith(Origin + "/sso/authenticate/", granted.Headers.Location!.ToString());
        Assert.Equal(alice.Id, await BoundUserAsync(factory, requestToken));
        Assert.Contains(await MfaTestKit.AuditOfAsync(factory, alice.Id), e => e.Event == MfaAuditEvents.StepUpSucceeded);
    }

    [Fact]
    public async Task A_consumer_without_the_requirement_takes_a_password_session()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true);
        var alice = await factory.CreateUserAsync("alice", Password);
        var keys = await CreateConsumerAsync(factory, "wiki", requireMfa: false);
        var browser = await factory.SignInAsync("alice", Password);
        var requestToken = await new SimpleSsoWire(factory.CreateClient()).GetRequestTokenAsync(keys, RedirectTo, factory.Time!.GetUtcNow());

        using var granted = await browser.GetAsync("/sso/authorize/?token=" + requestToken);

        Assert.StartsWith(Origin, granted.Headers.Location!.ToString());
        Assert.Equal(alice.Id, await BoundUserAsync(factory, requestToken));
    }

    [Fact]
    public async Task An_oidc_client_requiring_mfa_steps_up_and_the_id_token_reports_mfa()
    {
        await using var host = await new OidcTestHost(useFakeTime: true).StartAsync();
        var client = await host.CreateClientAsync("hr", properties: new Dictionary<string, object> { ["require_mfa"] = true });
        var browser = await host.SignInAsync();
        var secret = await MfaTestKit.EnrolTotpAsync(host.Factory, host.UserId);
        host.Factory.Time!.Advance(TimeSpan.FromSeconds(30));
        var pkce = Pkce.Create();
        var authorizeUrl = OidcTestHost.AuthorizeUrl(client, pkce);

        using var stepUp = await browser.GetAsync(authorizeUrl);
        Assert.Equal(HttpStatusCode.Redirect, stepUp.StatusCode);
        Assert.StartsWith("/account/mfa/verify?returnUrl=%2Fconnect%2Fauthorize%3F", stepUp.Headers.Location?.OriginalString);

        using var verified = await MfaTestKit.SubmitAsync(browser, stepUp.Headers.Location!.OriginalString, "totp-form",
            new Dictionary<string, string?> { ["code"] = MfaTestKit.CurrentCode(host.Factory, secret) });
        Assert.Equal(HttpStatusCode.Redirect, verified.StatusCode);
        var back = verified.Headers.Location!.OriginalString;
        Assert.StartsWith("/connect/authorize?", back);

        using var granted = await browser.GetAsync(back);
        var code = OidcTestHost.RedirectParameters(granted, client)["code"];
        var (status, body) = await host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var idToken = OidcTestHost.ReadJwt(body.GetProperty("id_token").GetString()!);
        Assert.Equal("urn:latchkey:acr:mfa", idToken.GetClaim("acr").Value);
        Assert.Contains(idToken.Claims, c => c.Type == "amr" && c.Value == "mfa");
        Assert.Contains(idToken.Claims, c => c.Type == "amr" && c.Value == "otp");
    }

    [Fact]
    public async Task Acr_values_asking_for_mfa_trigger_step_up_and_prompt_none_gets_interaction_required()
    {
        await using var host = await new OidcTestHost(useFakeTime: true).StartAsync();
        var client = await host.CreateClientAsync("web");
        var browser = await host.SignInAsync();
        await MfaTestKit.EnrolTotpAsync(host.Factory, host.UserId);

        using var stepUp = await browser.GetAsync(OidcTestHost.AuthorizeUrl(client, Pkce.Create(), extra: ("acr_values", "urn:latchkey:acr:mfa")));
        using var silent = await browser.GetAsync(OidcTestHost.AuthorizeUrl(client, Pkce.Create(), extra: [("acr_values", "urn:latchkey:acr:mfa"), ("prompt", "none")]));
        using var plain = await browser.GetAsync(OidcTestHost.AuthorizeUrl(client, Pkce.Create()));

        Assert.StartsWith("/account/mfa/verify?returnUrl=", stepUp.Headers.Location?.OriginalString);
        Assert.Equal("interaction_required", OidcTestHost.RedirectParameters(silent, client)["error"]);
        Assert.True(OidcTestHost.RedirectParameters(plain, client).ContainsKey("code"));
    }

    [Fact]
    public async Task A_user_forced_to_enrol_lands_on_enrolment_after_the_password_and_reaches_the_app_only_after_it()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true);
        var bob = await factory.CreateUserAsync("bob", Password);
        await MfaTestKit.SetUserAsync(factory, bob.Id, u => u.MfaRequirement = MfaRequirement.Required);
        var keys = await CreateConsumerAsync(factory, "wiki", requireMfa: false);
        var requestToken = await new SimpleSsoWire(factory.CreateClient()).GetRequestTokenAsync(keys, RedirectTo, factory.Time!.GetUtcNow());
        var authorizeUrl = "/sso/authorize/?token=" + requestToken;
        var browser = factory.CreateBrowser();

        using var login = await LoginForm.SubmitAsync(browser, "bob", Password, authorizeUrl);
        Assert.Equal("/account/mfa/totp?returnUrl=" + Uri.EscapeDataString(authorizeUrl), login.Headers.Location?.OriginalString);

        // Skipping enrolment does not open the app.
        using var skipped = await browser.GetAsync(authorizeUrl);
        Assert.StartsWith("/account/mfa/totp?returnUrl=", skipped.Headers.Location?.OriginalString);
        Assert.Null(await BoundUserAsync(factory, requestToken));

        var enrolPage = await MfaTestKit.GetPageAsync(browser, login.Headers.Location!.OriginalString);
        Assert.NotNull(enrolPage.QuerySelector("#enrolment-required"));
        Assert.NotNull(enrolPage.QuerySelector("#totp-qr svg"));
        var key = enrolPage.QuerySelector("#manual-key")!.TextContent.Replace(" ", "", StringComparison.Ordinal);
        var totp = new Totp(Base32Encoding.ToBytes(key));
        var code = totp.ComputeTotp(factory.Time.GetUtcNow().UtcDateTime);

        var pageUri = new Uri(browser.BaseAddress!, login.Headers.Location!.OriginalString);
        using var wrong = await HtmlForms.SubmitAsync(browser, enrolPage, pageUri,
            new Dictionary<string, string?> { ["code"] = code == "123456" ? "654321" : "123456" }, "#totp-enrol-form");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        var retryPage = await HtmlForms.ParseAsync(wrong);
        Assert.NotNull(retryPage.QuerySelector("#totp-error"));
        Assert.False(await factory.WithScopeAsync(s => s.GetRequiredService<TotpAuthenticators>().IsEnabledAsync(bob.Id, CancellationToken.None)));

        Assert.Equal(enrolPage.QuerySelector("#manual-key")!.TextContent, retryPage.QuerySelector("#manual-key")!.TextContent);
        using var enrolled = await HtmlForms.SubmitAsync(browser, retryPage, pageUri, new Dictionary<string, string?> { ["code"] = code }, "#totp-enrol-form");
        Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        var done = await HtmlForms.ParseAsync(enrolled);
        Assert.Equal(10, done.QuerySelectorAll("#recovery-codes li").Length);
        Assert.Equal(authorizeUrl, done.QuerySelector("a#continue")?.GetAttribute("href"));
        Assert.Contains(await MfaTestKit.AuditOfAsync(factory, bob.Id), e => e.Event == MfaAuditEvents.TotpEnrolled);

        using var granted = await browser.GetAsync(authorizeUrl);
        Assert.StartsWith(Origin, granted.Headers.Location!.ToString());
        Assert.Equal(bob.Id, await BoundUserAsync(factory, requestToken));
    }

    [Fact]
    public async Task A_global_required_policy_sends_users_without_factors_to_enrolment()
    {
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSetting("Latchkey:Mfa:Policy", "Required");
        await factory.CreateUserAsync("carol", Password);

        using var login = await LoginForm.SubmitAsync(factory.CreateBrowser(), "carol", Password, "/account/mfa");

        Assert.Equal("/account/mfa/totp?returnUrl=%2Faccount%2Fmfa", login.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task An_unknown_global_policy_stops_startup_with_a_clear_message()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Mfa:Policy", "Sometimes");

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains("Latchkey:Mfa:Policy must be 'Optional' or 'Required'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_required_user_with_a_confirmed_email_signs_in_with_an_emailed_code()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSmtpSink(sink);
        var dana = await factory.CreateUserAsync("dana", Password, email: "dana@example.test");
        await MfaTestKit.SetUserAsync(factory, dana.Id, u =>
        {
            u.EmailConfirmed = true;
            u.MfaRequirement = MfaRequirement.Required;
        });
        var browser = factory.CreateBrowser();

        using var login = await LoginForm.SubmitAsync(browser, "dana", Password, "/account/mfa");
        var verifyUrl = login.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/mfa/verify", verifyUrl);

        using var sent = await MfaTestKit.SubmitAsync(browser, verifyUrl, "email-send-form");
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var mail = await sink.WaitForMailAsync("dana@example.test", TimeSpan.FromSeconds(10));
        var code = Regex.Match(mail.TextBody, @"\b(\d{6})\b").Groups[1].Value;

        using var wrong = await MfaTestKit.SubmitAsync(browser, verifyUrl, "email-form", new Dictionary<string, string?> { ["emailCode"] = code == "000000" ? "111111" : "000000" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.False(await MfaTestKit.IsSignedInAsync(browser));

        using var accepted = await MfaTestKit.SubmitAsync(browser, verifyUrl, "email-form", new Dictionary<string, string?> { ["emailCode"] = code });
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.True(await MfaTestKit.IsSignedInAsync(browser));
        var audit = await MfaTestKit.AuditOfAsync(factory, dana.Id);
        Assert.Contains(audit, e => e.Event == MfaAuditEvents.EmailCodeSent);
        Assert.Contains(audit, e => e.Event == MfaAuditEvents.EmailCodeVerified);
        Assert.All(audit, e => Assert.DoesNotContain(code, e.Details ?? "", StringComparison.Ordinal));

        // One-time: the same code does not work for a second sign-in.
        var other = factory.CreateBrowser();
        using var login2 = await LoginForm.SubmitAsync(other, "dana", Password, "/account/mfa");
        using var reused = await MfaTestKit.SubmitAsync(other, login2.Headers.Location!.OriginalString, "email-form", new Dictionary<string, string?> { ["emailCode"] = code });
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
    }

    [Fact]
    public async Task An_emailed_code_expires_and_dies_after_too_many_wrong_tries()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var factory = new LatchkeyServerFactory(useFakeTime: true).WithSmtpSink(sink);
        var erin = await factory.CreateUserAsync("erin", Password, email: "erin@example.test");
        await MfaTestKit.SetUserAsync(factory, erin.Id, u => u.EmailConfirmed = true);
        var user = await MfaTestKit.ReloadUserAsync(factory, erin.Id);

        async Task<string> SendAsync()
        {
            var before = sink.MessagesTo("erin@example.test").Count;
            await factory.WithScopeAsync(s => s.GetRequiredService<EmailCodes>().SendAsync(user, CancellationToken.None));
            var mail = sink.MessagesTo("erin@example.test")[before];
            return Regex.Match(mail.TextBody, @"\b(\d{6})\b").Groups[1].Value;
        }

        Task<EmailCodeVerification> VerifyAsync(string code) =>
            factory.WithScopeAsync(s => s.GetRequiredService<EmailCodes>().VerifyAsync(erin.Id, code, CancellationToken.None));

        var expiring = await SendAsync();
        factory.Time!.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(EmailCodeVerification.NoActiveCode, await VerifyAsync(expiring));

        var guessed = await SendAsync();
        var wrong = guessed == "000000" ? "111111" : "000000";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(EmailCodeVerification.WrongCode, await VerifyAsync(wrong));
        }

        Assert.Equal(EmailCodeVerification.NoActiveCode, await VerifyAsync(guessed));
        var fresh = await SendAsync();
        Assert.Equal(EmailCodeVerification.Accepted, await VerifyAsync(fresh));
    }

    private static async Task<SsoKeys> CreateConsumerAsync(LatchkeyServerFactory factory, string name, bool requireMfa)
    {
        var created = await factory.CreateConsumerAsync(name, Origin);
        await factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().Consumers.Where(c => c.Name == name)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.RequireMfa, requireMfa)));
        return new SsoKeys(created.PublicKey, created.PrivateKey);
    }

    private static Task<Guid?> BoundUserAsync(LatchkeyServerFactory factory, string requestToken) =>
        factory.WithScopeAsync(s => s.GetRequiredService<LatchkeyDbContext>().SimpleSsoTokens.AsNoTracking()
            .Where(t => t.RequestTokenHash == SimpleSsoServerFixture.Sha256Hex(requestToken)).Select(t => t.UserId).SingleAsync());
}
