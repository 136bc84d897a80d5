using System.Collections.Immutable;
using System.Text.Json;
using Latchkey.Server.Oidc.Clients;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Sessions;

/// <summary>An OIDC client's logout registration (OpenID Connect Back-Channel / Front-Channel Logout 1.0 client metadata).</summary>
public sealed record OidcLogoutSettings(
    Uri? BackChannelLogoutUri,
    bool BackChannelLogoutSessionRequired,
    Uri? FrontChannelLogoutUri,
    bool FrontChannelLogoutSessionRequired)
{
    /// <summary>Reads an OpenIddict application's <c>Properties</c> through <see cref="ClientSettings"/>; a URL that is not absolute http(s) without a fragment counts as absent.</summary>
    public static OidcLogoutSettings Read(ImmutableDictionary<string, JsonElement> properties)
    {
        var settings = ClientSettings.Read(properties);
        return new(
            HttpUri(settings.BackchannelLogoutUri),
            settings.BackchannelLogoutSessionRequired,
            HttpUri(settings.FrontchannelLogoutUri),
            settings.FrontchannelLogoutSessionRequired);
    }

    private static Uri? HttpUri(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && string.IsNullOrEmpty(uri.Fragment)
            ? uri
            : null;
}

/// <summary>Looks up OIDC clients' logout registrations.</summary>
public interface IOidcLogoutClients
{
    /// <summary>The client's settings, or null if there is no such client (or no OIDC provider in this host).</summary>
    Task<OidcLogoutSettings?> FindAsync(string clientId, CancellationToken ct);
}

/// <summary>Reads logout registrations from OpenIddict's application store.</summary>
internal sealed class OpenIddictLogoutClients(IServiceProvider services) : IOidcLogoutClients
{
    public async Task<OidcLogoutSettings?> FindAsync(string clientId, CancellationToken ct)
    {
        // Resolved lazily: hosts built without the OIDC provider (CLI commands, older tests) have no manager.
        if (services.GetService<IOpenIddictApplicationManager>() is not { } applications)
        {
            return null;
        }

        var application = await applications.FindByClientIdAsync(clientId, ct);
        return application is null ? null : OidcLogoutSettings.Read(await applications.GetPropertiesAsync(application, ct));
    }
}
