using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.SimpleSso;

/// <summary>
/// Latchkey's single-logout extension of the simple-sso protocol (not in django-simple-sso), for
/// consumers that registered a back-channel logout URL:
/// <list type="bullet">
/// <item><c>verify/</c> answers carry <see cref="SessionField"/>, the SSO session the login came from;</item>
/// <item>when that session ends, the server POSTs a <see cref="BackChannelLogoutNotice"/> envelope (the same
/// itsdangerous envelope as <c>verify/</c>, signed with the consumer's key, header <see cref="PublicKeyHeader"/>)
/// to the URL; any 2xx means "done";</item>
/// <item>a client ends the SSO session by sending the browser to <c>{base}logout/?key=PUBLIC&amp;token=T</c>,
/// T being a <see cref="UrlSafeToken"/> over the JSON text of a <see cref="ClientLogoutRequest"/>.</item>
/// </list>
/// </summary>
public static class SingleLogoutProtocol
{
    /// <summary>Extra key of the <c>verify/</c> user payload: the SSO session id.</summary>
    public const string SessionField = "sso_session";

    /// <summary>Identifies the signing key pair, as in the client's own calls.</summary>
    public const string PublicKeyHeader = "X-Services-Public-Key";

    /// <summary>The only <see cref="BackChannelLogoutNotice.Event"/> defined.</summary>
    public const string LogoutEvent = "logout";

    /// <summary>How old a notice or client logout token may be; the server signs each attempt afresh.</summary>
    public static readonly FreshnessWindow Freshness = new(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30));
}

/// <summary>Server → client: "this SSO session ended; end your local sessions from it".</summary>
/// <param name="Event">Always <see cref="SingleLogoutProtocol.LogoutEvent"/>.</param>
/// <param name="Username">The user, as in the verify payload.</param>
/// <param name="SsoSession">The ended SSO session (the <c>sso_session</c> the client got at verify).</param>
/// <param name="Id">Unique per notice; receivers refuse one they have seen (replay).</param>
public sealed record BackChannelLogoutNotice(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("sso_session")] string SsoSession,
    [property: JsonPropertyName("jti")] string Id)
{
    /// <summary>Reads a notice; anything malformed is <see cref="SimpleSsoError.FailedToProcess"/>.</summary>
    public static SimpleSsoResult<BackChannelLogoutNotice> From(JsonElement payload) =>
        SimpleSsoPayload.RequiredString(payload, "event") is SingleLogoutProtocol.LogoutEvent
        && SimpleSsoPayload.RequiredString(payload, "username") is { } username
        && SimpleSsoPayload.RequiredString(payload, "sso_session") is { Length: <= 64 } session
        && SimpleSsoPayload.RequiredString(payload, "jti") is { Length: <= 128 } id
            ? new BackChannelLogoutNotice(SingleLogoutProtocol.LogoutEvent, username, session, id)
            : SimpleSsoError.FailedToProcess;
}

/// <summary>Client → server (through the browser): "end this SSO session and send the browser to <paramref name="Next"/>".</summary>
/// <param name="Next">Absolute URL under the consumer's redirect origins.</param>
/// <param name="SsoSession">The session to end, when the client knows it; else the browser's own session.</param>
public sealed record ClientLogoutRequest(
    [property: JsonPropertyName("next")] string Next,
    [property: JsonPropertyName("sso_session"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SsoSession = null)
{
    /// <summary>The token value: this request as JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SimpleSsoJson.Options);

    /// <summary>Reads the JSON text carried by the token.</summary>
    public static SimpleSsoResult<ClientLogoutRequest> From(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            if (SimpleSsoPayload.RequiredString(root, "next") is not { } next)
            {
                return SimpleSsoError.FailedToProcess;
            }

            string? session = null;
            if (root.TryGetProperty("sso_session", out var value))
            {
                if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 and <= 64 } text)
                {
                    return SimpleSsoError.FailedToProcess;
                }

                session = text;
            }

            return new ClientLogoutRequest(next, session);
        }
        catch (JsonException)
        {
            return SimpleSsoError.FailedToProcess;
        }
    }
}
