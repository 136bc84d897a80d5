using System.Collections.Immutable;
using System.Text.Json;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>
/// Latchkey's per-client settings beyond OpenIddict's own fields, stored in the application's
/// <c>Properties</c> JSON under these snake_case keys.
/// </summary>
public sealed record ClientSettings(
    bool FirstParty,
    string? BackchannelLogoutUri,
    bool BackchannelLogoutSessionRequired,
    string? FrontchannelLogoutUri,
    bool FrontchannelLogoutSessionRequired)
{
    public const string FirstPartyKey = "first_party";
    public const string BackchannelLogoutUriKey = "backchannel_logout_uri";
    public const string BackchannelLogoutSessionRequiredKey = "backchannel_logout_session_required";
    public const string FrontchannelLogoutUriKey = "frontchannel_logout_uri";
    public const string FrontchannelLogoutSessionRequiredKey = "frontchannel_logout_session_required";
    public const string IdTokenSignedResponseAlgKey = "id_token_signed_response_alg";
    public const string MaxSessionAgeSecondsKey = "max_session_age_seconds";
    public const string RequireMfaKey = "require_mfa";

    /// <summary>"ES256" to have ID tokens signed with the ES256 key; null (default) means RS256.</summary>
    public string? IdTokenSignedResponseAlg { get; init; }

    /// <summary>This client requires a multi-factor session (step-up of a single-factor session before a code is issued).</summary>
    public bool RequireMfa { get; init; }

    /// <summary>A session authenticated longer ago than this signs in again before this client gets a code (sessions helper).</summary>
    public TimeSpan? MaxSessionAge { get; init; }

    public static ClientSettings Default { get; } = new(false, null, false, null, false);

    /// <summary>Reads the settings; missing or mistyped entries take their defaults (false / none).</summary>
    public static ClientSettings Read(ImmutableDictionary<string, JsonElement> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return new ClientSettings(
            Bool(properties, FirstPartyKey),
            Text(properties, BackchannelLogoutUriKey),
            Bool(properties, BackchannelLogoutSessionRequiredKey),
            Text(properties, FrontchannelLogoutUriKey),
            Bool(properties, FrontchannelLogoutSessionRequiredKey))
        {
            IdTokenSignedResponseAlg = Text(properties, IdTokenSignedResponseAlgKey),
            MaxSessionAge = properties.TryGetValue(MaxSessionAgeSecondsKey, out var age) && age.ValueKind == JsonValueKind.Number
                && age.TryGetInt64(out var seconds) && seconds > 0 && seconds <= (long)TimeSpan.MaxValue.TotalSeconds
                    ? TimeSpan.FromSeconds(seconds)
                    : null,
            RequireMfa = Bool(properties, RequireMfaKey),
        };
    }

    /// <summary>Writes the settings into a descriptor's property bag, removing entries that are unset.</summary>
    public void WriteTo(IDictionary<string, JsonElement> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        SetBool(FirstPartyKey, FirstParty);
        SetText(BackchannelLogoutUriKey, BackchannelLogoutUri);
        SetBool(BackchannelLogoutSessionRequiredKey, BackchannelLogoutUri is not null && BackchannelLogoutSessionRequired);
        SetText(FrontchannelLogoutUriKey, FrontchannelLogoutUri);
        SetBool(FrontchannelLogoutSessionRequiredKey, FrontchannelLogoutUri is not null && FrontchannelLogoutSessionRequired);
        SetText(IdTokenSignedResponseAlgKey, IdTokenSignedResponseAlg);
        if (MaxSessionAge is { } maxSessionAge)
        {
            properties[MaxSessionAgeSecondsKey] = JsonSerializer.SerializeToElement((long)maxSessionAge.TotalSeconds);
        }
        else
        {
            properties.Remove(MaxSessionAgeSecondsKey);
        }
        SetBool(RequireMfaKey, RequireMfa);

        void SetBool(string key, bool value)
        {
            if (value)
            {
                properties[key] = JsonSerializer.SerializeToElement(true);
            }
            else
            {
                properties.Remove(key);
            }
        }

        void SetText(string key, string? value)
        {
            if (value is null)
            {
                properties.Remove(key);
            }
            else
            {
                properties[key] = JsonSerializer.SerializeToElement(value);
            }
        }
    }

    private static bool Bool(ImmutableDictionary<string, JsonElement> properties, string key) =>
        properties.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.True;

    private static string? Text(ImmutableDictionary<string, JsonElement> properties, string key) =>
        properties.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(value.GetString())
            ? value.GetString()
            : null;
}
