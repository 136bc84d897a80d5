using System.Collections.Immutable;
using System.Text.Json;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Sessions;

/// <summary>An OIDC client's logout registration (OpenID Connect Back-Channel / Front-Channel Logout 1.0 client metadata).</summary>
public sealed record OidcLogoutSettings(
    Uri? BackChannelLogoutUri,
    bool BackChannelLogoutSessionRequired,
    Uri? FrontChannelLogoutUri,
    bool FrontChannelLogoutSessionRequired)
{
    public const string BackChannelLogoutUriKey = "backchannel_logout_uri";
    public const string BackChannelLogoutSessionRequiredKey = "backchannel_logout_session_required";
    public const string FrontChannelLogoutUriKey = "frontchannel_logout_uri";
    public const string FrontChannelLogoutSessionRequiredKey = "frontchannel_logout_session_required";

    /// <summary>Reads the keys from an OpenIddict application's <c>Properties</c>; anything malformed counts as absent.</summary>
    public static OidcLogoutSettings Read(ImmutableDictionary<string, JsonElement> properties) => new(
        AbsoluteUri(properties, BackChannelLogoutUriKey),
        Flag(properties, BackChannelLogoutSessionRequiredKey),
        AbsoluteUri(properties, FrontChannelLogoutUriKey),
        Flag(properties, FrontChannelLogoutSessionRequiredKey));

    private static Uri? AbsoluteUri(ImmutableDictionary<string, JsonElement> properties, string key) =>
        properties.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String
        && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && string.IsNullOrEmpty(uri.Fragment)
            ? uri
            : null;

    private static bool Flag(ImmutableDictionary<string, JsonElement> properties, string key) =>
        properties.TryGetValue(key, out var value) && (value.ValueKind == JsonValueKind.True
            || (value.ValueKind == JsonValueKind.String && bool.TryParse(value.GetString(), out var parsed) && parsed));
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
