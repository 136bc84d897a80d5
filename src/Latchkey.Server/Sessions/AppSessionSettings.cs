using System.Text.Json;
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
public sealed class AppSessionSettings(LatchkeyDbContext db, IOpenIddictApplicationManager applications)
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
        return true;
    }

    /// <summary>Sets (or, with <see cref="TimeSpan.Zero"/>, clears) an OIDC client's maximum session age. False when unknown.</summary>
    public async Task<bool> SetClientMaxSessionAgeAsync(string clientId, TimeSpan maxSessionAge, CancellationToken ct)
    {
        if (maxSessionAge != TimeSpan.Zero)
        {
            CheckAge(maxSessionAge);
        }

        // A fresh tracked row, never the cross-request cached instance.
        var application = applications is LatchkeyApplicationManager latchkey
            ? await latchkey.FindByClientIdForUpdateAsync(clientId, ct)
            : await applications.FindByClientIdAsync(clientId, ct);
        if (application is null)
        {
            return false;
        }

        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, ct);
        if (maxSessionAge == TimeSpan.Zero)
        {
            descriptor.Properties.Remove(ClientSettings.MaxSessionAgeSecondsKey);
        }
        else
        {
            descriptor.Properties[ClientSettings.MaxSessionAgeSecondsKey] = JsonSerializer.SerializeToElement((long)maxSessionAge.TotalSeconds);
        }

        // Populate + UpdateAsync(application): UpdateAsync(application, descriptor) would re-hash the stored secret.
        await applications.PopulateAsync(application, descriptor, ct);
        await applications.UpdateAsync(application, ct);
        return true;
    }

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
