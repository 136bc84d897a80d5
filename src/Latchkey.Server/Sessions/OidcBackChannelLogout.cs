using System.Net;

namespace Latchkey.Server.Sessions;

/// <summary>
/// OpenID Connect Back-Channel Logout 1.0: POSTs a signed <c>logout_token</c> to the
/// <c>backchannel_logout_uri</c> of every OIDC client that took part in the ended session.
/// </summary>
public sealed class OidcBackChannelLogout(IOidcLogoutClients clients, LogoutTokenFactory tokens, SingleLogoutIssuer issuers, IHttpClientFactory httpClients) : ISingleLogoutChannel
{
    public const string ChannelName = "oidc-backchannel";

    /// <summary>The named <see cref="HttpClient"/>: short timeout, no redirects, no cookies.</summary>
    public const string HttpClientName = "Latchkey.SingleLogout";

    public string Name => ChannelName;

    public async Task<IReadOnlyList<LogoutTarget>> PlanAsync(SsoSession session, IReadOnlyList<SsoSessionParticipant> participants, CancellationToken ct)
    {
        var targets = new List<LogoutTarget>();
        foreach (var participant in participants.Where(p => p.Protocol == SsoProtocols.Oidc))
        {
            if ((await clients.FindAsync(participant.ClientId, ct))?.BackChannelLogoutUri is { } uri)
            {
                targets.Add(new LogoutTarget(participant.ClientId, uri.AbsoluteUri));
            }
        }

        return targets;
    }

    public async Task<LogoutDeliveryResult> DeliverAsync(LogoutDelivery delivery, CancellationToken ct)
    {
        // A session ended outside a request (CLI) has no issuer of its own; this node's configured one may do.
        var issuer = delivery.Issuer ?? issuers.Resolve(null);
        if (issuer is null)
        {
            return LogoutDeliveryResult.PermanentFailure("no issuer: the session ended outside a request and Latchkey:Oidc:Issuer is not set");
        }

        // A fresh token per attempt: a retry an hour later must not carry an expired one.
        var token = tokens.Create(issuer, delivery.ClientId, delivery.Subject, SsoSessionClaimTypes.Format(delivery.SessionId));
        if (token is null)
        {
            return LogoutDeliveryResult.TransientFailure("no asymmetric signing key available");
        }

        using var client = httpClients.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(delivery.Endpoint))
        {
            Content = new FormUrlEncodedContent([new("logout_token", token)]),
        };
        return await LogoutDeliveryResult.SendAsync(client, request, ct);
    }
}
