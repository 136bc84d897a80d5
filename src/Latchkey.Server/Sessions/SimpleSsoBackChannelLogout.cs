using System.Net;
using System.Security.Cryptography;
using Latchkey.Server.Consumers;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Sessions;

/// <summary>
/// Latchkey's single-logout extension of simple-sso (see <see cref="SingleLogoutProtocol"/>): POSTs a signed
/// <see cref="BackChannelLogoutNotice"/> to the <see cref="Consumer.BackChannelLogoutUrl"/> of every consumer that
/// took part in the ended session. Only clients built on <c>Latchkey.Client.AspNetCore</c> understand it.
/// </summary>
public sealed class SimpleSsoBackChannelLogout(
    LatchkeyDbContext db,
    ConsumerRegistry consumers,
    TimeProvider time,
    IHttpClientFactory httpClients) : ISingleLogoutChannel
{
    public const string ChannelName = "simple-sso-backchannel";

    public string Name => ChannelName;

    public async Task<IReadOnlyList<LogoutTarget>> PlanAsync(SsoSession session, IReadOnlyList<SsoSessionParticipant> participants, CancellationToken ct)
    {
        var names = participants.Where(p => p.Protocol == SsoProtocols.SimpleSso).Select(p => p.ClientId).ToList();
        if (names.Count == 0)
        {
            return [];
        }

        var urls = await db.Consumers.AsNoTracking()
            .Where(c => names.Contains(c.Name) && c.BackChannelLogoutUrl != null)
            .Select(c => new { c.Name, c.BackChannelLogoutUrl })
            .ToListAsync(ct);
        return [.. urls.Select(c => new LogoutTarget(c.Name, c.BackChannelLogoutUrl!))];
    }

    public async Task<LogoutDeliveryResult> DeliverAsync(LogoutDelivery delivery, CancellationToken ct)
    {
        if (delivery.SubjectName is not { Length: > 0 } userName)
        {
            return LogoutDeliveryResult.PermanentFailure("no user name recorded");
        }

        // Every live pair, newest first: during a key rotation the client may still hold the old one, and a
        // receiver that cannot check the signature answers 4xx, so the next pair is tried in the same attempt.
        var keys = await db.ConsumerKeys.AsNoTracking()
            .Where(k => k.Consumer!.Name == delivery.ClientId)
            .OrderByDescending(k => k.CreatedAt)
            .Select(k => new { k.Id, k.PublicKey, k.ExpiresAt })
            .ToListAsync(ct);
        var now = time.GetUtcNow();
        var live = keys.Where(k => k.ExpiresAt is null || k.ExpiresAt > now).ToList();
        if (live.Count == 0)
        {
            return LogoutDeliveryResult.PermanentFailure("the consumer has no live key pair (removed?)");
        }

        LogoutDeliveryResult? result = null;
        foreach (var key in live)
        {
            if (await consumers.FindPrivateKeyAsync(key.Id, ct) is not { } privateKey)
            {
                continue;
            }

            var notice = new BackChannelLogoutNotice(
                SingleLogoutProtocol.LogoutEvent,
                userName,
                SsoSessionClaimTypes.Format(delivery.SessionId),
                Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
            var body = SimpleSsoEnvelope.Seal(notice, new TimedSigner(privateKey), time.GetUtcNow());
            result = await PostAsync(delivery.Endpoint, key.PublicKey, body, ct);
            if (result.Delivered || result.Retry)
            {
                return result;
            }
        }

        return result ?? LogoutDeliveryResult.PermanentFailure("no key pair could be decrypted");
    }

    private async Task<LogoutDeliveryResult> PostAsync(string endpoint, string publicKey, string body, CancellationToken ct)
    {
        using var client = httpClients.CreateClient(OidcBackChannelLogout.HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "text/plain"),
        };
        request.Headers.TryAddWithoutValidation(SingleLogoutProtocol.PublicKeyHeader, publicKey);
        return await LogoutDeliveryResult.SendAsync(client, request, ct);
    }
}
