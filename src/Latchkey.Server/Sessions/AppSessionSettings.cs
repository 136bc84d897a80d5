using System.Text.Json;
using Latchkey.Server.Audit;
using Latchkey.Server.Consumers;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Sessions;

/// <summary>A change to an app's session settings was refused; the message is safe to show an administrator.</summary>
public sealed class AppSessionSettingsException(string message) : Exception(message);

/// <summary>
/// Sets the per-app session settings: <see cref="Consumer.MaxSessionAge"/> and <see cref="Consumer.BackChannelLogoutUrl"/> for
/// simple-sso consumers, <c>max_session_age_seconds</c> for OIDC clients. Used by the CLI and the admin forms.
/// </summary>
public sealed class AppSessionSettings(LatchkeyDbContext db, IOpenIddictApplicationManager applications, IAuditLog audit)
{
    /// <summary>Longest per-app limit accepted; longer ones would never be tighter than the global lifetimes.</summary>
    public static readonly TimeSpan MaxAllowedAge = TimeSpan.FromDays(365);

    /// <summary>
    /// Changes the given settings of a consumer (null arguments are left alone; <see cref="TimeSpan.Zero"/> / empty string clear them).
    /// The back-channel URL must be an absolute http(s) URL under one of the consumer's redirect origins. False when unknown.
    /// </summary>
    public async Task<bool> SetConsumerAsync(string name, TimeSpan? maxSessionAge, string? backChannelLogoutUrl, CancellationToken ct)
    {
        var consumer = await db.Consumers.SingleOrDefaultAsync(c => c.Name == name, ct);
        if (consumer is null)
        {
            return false;
        }

        if (maxSessionAge is { } age)
        {
            consumer.MaxSessionAge = age == TimeSpan.Zero ? null : CheckAge(age);
        }

        if (backChannelLogoutUrl is not null)
        {
            consumer.BackChannelLogoutUrl = backChannelLogoutUrl.Length == 0 ? null : CheckBackChannelUrl(backChannelLogoutUrl, consumer.RedirectOrigins);
        }

        await db.SaveChangesAsync(ct);
        var details = new Dictionary<string, string>();
        if (maxSessionAge is not null)
        {
            details["max_session_age"] = consumer.MaxSessionAge?.ToString("c", System.Globalization.CultureInfo.InvariantCulture) ?? "none";
        }

        if (backChannelLogoutUrl is not null)
        {
            details["backchannel_logout_url"] = consumer.BackChannelLogoutUrl ?? "none";
        }

        await audit.AppendAsync(new AuditRecord("consumer.updated", AuditOutcome.Success) { App = AuditRecord.SimpleSsoApp(name), Details = details }, ct);
        return true;
    }

    /// <summary>Sets (or, with <see cref="TimeSpan.Zero"/>, clears) an OIDC client's maximum session age. False when unknown.</summary>
    public async Task<bool> SetClientMaxSessionAgeAsync(string clientId, TimeSpan maxSessionAge, CancellationToken ct)
    {
        if (maxSessionAge != TimeSpan.Zero)
        {
            CheckAge(maxSessionAge);
        }

        if (!await applications.SetPropertyAsync(
            clientId,
            ClientSettings.MaxSessionAgeSecondsKey,
            maxSessionAge == TimeSpan.Zero ? null : JsonSerializer.SerializeToElement((long)maxSessionAge.TotalSeconds),
            ct))
        {
            return false;
        }

        await audit.AppendAsync(
            new AuditRecord("client.updated", AuditOutcome.Success)
            {
                App = AuditRecord.OidcApp(clientId),
                Details = new Dictionary<string, string>
                {
                    ["max_session_age"] = maxSessionAge == TimeSpan.Zero ? "none" : maxSessionAge.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                },
            },
            ct);
        return true;
    }

    /// <summary>A consumer's maximum session age and back-channel logout URL; null when unknown.</summary>
    public async Task<(TimeSpan? MaxSessionAge, string? BackChannelLogoutUrl)?> GetConsumerAsync(string name, CancellationToken ct) =>
        await db.Consumers.AsNoTracking().Where(c => c.Name == name)
            .Select(c => new { c.MaxSessionAge, c.BackChannelLogoutUrl })
            .FirstOrDefaultAsync(ct) is { } row
            ? (row.MaxSessionAge, row.BackChannelLogoutUrl)
            : null;

    /// <summary>An OIDC client's maximum session age (null when it has none or is unknown).</summary>
    public async Task<TimeSpan?> GetClientMaxSessionAgeAsync(string clientId, CancellationToken ct) =>
        await applications.FindByClientIdAsync(clientId, ct) is { } application
            ? ClientSettings.Read(await applications.GetPropertiesAsync(application, ct)).MaxSessionAge
            : null;

    private static TimeSpan CheckAge(TimeSpan age) =>
        age < TimeSpan.FromMinutes(1) || age > MaxAllowedAge
            ? throw new AppSessionSettingsException($"The maximum session age must be between 1 minute and {MaxAllowedAge.TotalDays:0} days (got {age}).")
            : age;

    /// <summary>The URL, checked: absolute http(s), no fragment, and its origin one of <paramref name="origins"/> (it receives signed calls).</summary>
    public static string CheckBackChannelUrl(string url, IReadOnlyList<string> origins)
    {
        if (url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new AppSessionSettingsException($"'{url}' is not an absolute http(s) URL without a fragment.");
        }

        if (RedirectOrigin.OfRedirectTarget(url) is not { } origin || !origins.Contains(origin, StringComparer.Ordinal))
        {
            throw new AppSessionSettingsException($"The back-channel logout URL must be under one of the consumer's redirect origins ({string.Join(", ", origins)}).");
        }

        return url;
    }
}
