using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.SimpleSso;

/// <summary>Client → server payload of <c>request-token/</c>.</summary>
/// <param name="RedirectTo">The absolute URL of the client's authenticate endpoint, with its <c>next</c>.</param>
public sealed record RequestTokenRequest([property: JsonPropertyName("redirect_to")] string RedirectTo)
{
    /// <summary>Reads the payload; a missing or non-string <c>redirect_to</c> is <see cref="SimpleSsoError.FailedToProcess"/>.</summary>
    public static SimpleSsoResult<RequestTokenRequest> From(JsonElement payload) =>
        SimpleSsoPayload.RequiredString(payload, "redirect_to") is { } value
            ? new RequestTokenRequest(value)
            : SimpleSsoError.FailedToProcess;
}

/// <summary>Server → client payload of <c>request-token/</c>.</summary>
/// <param name="RequestToken">The 64-character request token the browser carries to <c>authorize/</c>.</param>
public sealed record RequestTokenResponse([property: JsonPropertyName("request_token")] string RequestToken)
{
    /// <summary>Reads the payload.</summary>
    public static SimpleSsoResult<RequestTokenResponse> From(JsonElement payload) =>
        SimpleSsoPayload.RequiredString(payload, "request_token") is { } value
            ? new RequestTokenResponse(value)
            : SimpleSsoError.FailedToProcess;
}

/// <summary>Client → server payload of <c>verify/</c>.</summary>
/// <param name="AccessToken">The raw 64-character access token.</param>
/// <param name="ExtraData">Optional <c>extra_data</c> value the client was configured with.</param>
public sealed record VerifyRequest(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("extra_data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? ExtraData = null)
{
    /// <summary>Reads the payload.</summary>
    public static SimpleSsoResult<VerifyRequest> From(JsonElement payload)
    {
        if (SimpleSsoPayload.RequiredString(payload, "access_token") is not { } token)
        {
            return SimpleSsoError.FailedToProcess;
        }

        JsonElement? extra = payload.TryGetProperty("extra_data", out var e) ? e.Clone() : null;
        return new VerifyRequest(token, extra);
    }
}

/// <summary>The user object a successful <c>verify/</c> returns, with the keys django-simple-sso emits.</summary>
public sealed record SimpleSsoUser
{
    /// <summary>The login name; the identity key on clients.</summary>
    [JsonPropertyName("username")] public required string Username { get; init; }

    /// <summary>E-mail address, possibly empty.</summary>
    [JsonPropertyName("email")] public string Email { get; init; } = "";

    /// <summary>Given name, possibly empty.</summary>
    [JsonPropertyName("first_name")] public string FirstName { get; init; } = "";

    /// <summary>Family name, possibly empty.</summary>
    [JsonPropertyName("last_name")] public string LastName { get; init; } = "";

    /// <summary>Whether the client should treat the user as staff. False unless the consumer is configured otherwise.</summary>
    [JsonPropertyName("is_staff")] public bool IsStaff { get; init; }

    /// <summary>Whether the client should treat the user as superuser. False unless the consumer is configured otherwise.</summary>
    [JsonPropertyName("is_superuser")] public bool IsSuperuser { get; init; }

    /// <summary>Whether the account is active on the server.</summary>
    [JsonPropertyName("is_active")] public bool IsActive { get; init; } = true;

    /// <summary>Server-supplied extra data, only when the client asked for it.</summary>
    [JsonPropertyName("extra_data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ExtraData { get; init; }

    /// <summary>Keys beyond the standard ones (a customised Python server may add some); kept, never fatal.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? AdditionalFields { get; init; }

    /// <summary>Reads a verify payload, tolerating unknown keys; a missing username is <see cref="SimpleSsoError.FailedToProcess"/>.</summary>
    public static SimpleSsoResult<SimpleSsoUser> From(JsonElement payload)
    {
        try
        {
            var user = payload.Deserialize<SimpleSsoUser>(SimpleSsoJson.Options);
            return user is { Username.Length: > 0 } ? user : SimpleSsoError.FailedToProcess;
        }
        catch (JsonException)
        {
            return SimpleSsoError.FailedToProcess;
        }
    }
}

internal static class SimpleSsoPayload
{
    public static string? RequiredString(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object
        && payload.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } text
            ? text
            : null;
}
