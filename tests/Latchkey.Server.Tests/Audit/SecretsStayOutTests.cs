using System.Net;
using System.Text.Json;
using Latchkey.Server.Audit;
using Latchkey.Server.Storage;
using Latchkey.Server.Tests.Infrastructure;
using Latchkey.Server.Tests.Oidc;
using Latchkey.Server.Tests.SimpleSso;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latchkey.Server.Tests.Audit;

/// <summary>
/// A full run through every protocol with the application log at Trace: no password, key, token, code or
/// secret may appear in any log line or audit row, and the audit log records each step.
/// </summary>
public sealed class SecretsStayOutTests
{
    [Fact]
    public async Task No_secret_of_a_full_login_simple_sso_and_oidc_run_reaches_the_log_or_the_audit_log()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = new OidcTestHost();
        host.Factory
            .WithSetting("Logging:LogLevel:Default", "Trace")
            .WithServices(services => services.AddSingleton<ILoggerProvider>(logs));
        await host.StartAsync();
        var secrets = new List<string> { OidcTestHost.Password, LatchkeyServerFactory.AdminPassword };

        // Sign-in through the real login form.
        var browser = await host.SignInAsync();

        // simple-sso: request token, authorize, verify.
        var consumer = await host.Factory.CreateConsumerAsync("wiki", "https://wiki.example");
        secrets.Add(consumer.PrivateKey);
        var keys = new SsoKeys(consumer.PublicKey, consumer.PrivateKey);
        var wire = new SimpleSsoWire(host.Factory.CreateClient());
        var now = TimeProvider.System.GetUtcNow();
        var requestToken = await wire.GetRequestTokenAsync(keys, "https://wiki.example/sso/done/", now);
        secrets.Add(requestToken);
        using (var authorize = await browser.GetAsync("/sso/authorize/?token=" + requestToken, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
            var signed = QueryHelpers.ParseQuery(authorize.Headers.Location!.Query)["access_token"].Single()!;
            var accessToken = SimpleSsoWire.OpenAccessToken(signed, consumer.PrivateKey);
            secrets.Add(signed);
            secrets.Add(accessToken);
            using var verify = await wire.VerifyAsync(keys, accessToken, now);
            Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
            using var replay = await wire.VerifyAsync(keys, accessToken, now);
            Assert.NotEqual(HttpStatusCode.OK, replay.StatusCode);
        }

        // OIDC: code + PKCE, redeem, refresh, revoke; client credentials.
        var client = await host.CreateClientAsync("portal");
        secrets.Add(client.Secret!);
        var pkce = Pkce.Create();
        secrets.Add(pkce.Verifier);
        var code = await host.GetCodeAsync(browser, client, pkce);
        secrets.Add(code);
        var (status, tokens) = await host.RedeemCodeAsync(client, code, pkce);
        Assert.Equal(HttpStatusCode.OK, status);
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        secrets.AddRange([tokens.GetProperty("access_token").GetString()!, tokens.GetProperty("id_token").GetString()!, refreshToken]);
        var (refreshStatus, refreshed) = await host.RefreshAsync(client, refreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshStatus);
        var newRefresh = refreshed.GetProperty("refresh_token").GetString()!;
        secrets.AddRange([refreshed.GetProperty("access_token").GetString()!, newRefresh]);
        var (revokeStatus, _) = await host.PostAsync("/connect/revoke", OidcTestHost.With(OidcTestHost.ClientAuth(client), ("token", newRefresh)));
        Assert.Equal(HttpStatusCode.OK, revokeStatus);
        var (ccStatus, cc) = await host.PostAsync("/connect/token", OidcTestHost.With(OidcTestHost.ClientAuth(client), ("grant_type", "client_credentials")));
        Assert.Equal(HttpStatusCode.OK, ccStatus);
        secrets.Add(cc.GetProperty("access_token").GetString()!);

        var entries = await host.Factory.WithScopeAsync(services =>
            services.GetRequiredService<LatchkeyDbContext>().Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Sequence).ToListAsync());
        var auditText = JsonSerializer.Serialize(entries);
        Assert.NotEmpty(logs.Lines);
        foreach (var secret in secrets)
        {
            // A JWT's signature alone is secret enough; its header would match any other JWT.
            var probe = secret.Count(c => c == '.') == 2 ? secret[(secret.LastIndexOf('.') + 1)..] : secret;
            var leak = logs.Lines.FirstOrDefault(l => l.Contains(probe, StringComparison.Ordinal));
            Assert.True(leak is null, $"secret #{secrets.IndexOf(secret)} is in the application log: {leak?.Replace(probe, "<SECRET>", StringComparison.Ordinal)}");
            Assert.False(auditText.Contains(probe, StringComparison.Ordinal), $"a secret ({probe[..Math.Min(6, probe.Length)]}…) is in the audit log");
        }

        var events = entries.Select(e => e.Event).ToList();
        Assert.Contains(AuditEvents.ConsumerCreated, events);
        Assert.Contains(AuditEvents.SsoRequestTokenIssued, events);
        Assert.Contains(AuditEvents.SsoAuthorizeGranted, events);
        Assert.Contains(AuditEvents.SsoVerifySucceeded, events);
        Assert.Contains(entries, e => e.Event == AuditEvents.SsoVerifyFailed && e.Outcome == AuditOutcome.Failure && e.Details!.Contains("reason", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Event == AuditEvents.CodeIssued && e.App == "oidc:portal" && e.SubjectId == host.UserId);
        Assert.Contains(entries, e => e.Event == AuditEvents.TokenIssued && e.Details!.Contains("\"grant_type\":\"refresh_token\"", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Event == AuditEvents.TokenIssued && e.Details!.Contains("\"grant_type\":\"client_credentials\"", StringComparison.Ordinal) && e.ActorName == "portal");
        Assert.Contains(entries, e => e.Event == AuditEvents.TokenRevoked && e.Outcome == AuditOutcome.Success);
        var granted = entries.Single(e => e.Event == AuditEvents.SsoAuthorizeGranted);
        Assert.Equal(OidcTestHost.UserName, granted.ActorName);
        Assert.Equal("simple-sso:wiki", granted.App);

        var verification = await host.Factory.WithScopeAsync(services => services.GetRequiredService<AuditVerifier>().VerifyAsync(CancellationToken.None));
        Assert.True(verification.IsValid, verification.Break?.Reason);
    }
}
