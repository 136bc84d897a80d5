using Latchkey.Server.Sessions;

namespace Latchkey.Server.Oidc;

/// <summary>
/// Where OIDC meets the SSO session: a client that received a code joins the session (so single logout
/// tells it), and RP-initiated logout ends the session for every protocol.
/// </summary>
public sealed class OidcSessionLink(SsoSessionRegistry registry)
{
    public const string LogoutReason = "oidc-logout";

    /// <summary>Idempotent; a cookie without a session (none can exist once sessions are on) records nothing.</summary>
    public Task RecordParticipantAsync(Guid? sessionId, string clientId, CancellationToken ct) =>
        sessionId is { } id ? registry.RecordParticipantAsync(id, SsoProtocols.Oidc, clientId, ct) : Task.CompletedTask;

    /// <summary>
    /// Ends the session (back-channel logout is queued by the registry) and returns the front-channel
    /// logout URLs the page must render, in iframes, before leaving.
    /// </summary>
    public async Task<IReadOnlyList<Uri>> EndAsync(Guid? sessionId, CancellationToken ct)
    {
        if (sessionId is not { } id)
        {
            return [];
        }

        await registry.EndAsync(id, LogoutReason, ct);
        return await registry.GetFrontChannelLogoutUrisAsync(id, registry.CurrentIssuer, ct);
    }
}
