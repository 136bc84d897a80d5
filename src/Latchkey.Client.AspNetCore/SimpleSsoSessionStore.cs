using System.Text;
using Microsoft.Extensions.Caching.Distributed;

namespace Latchkey.Client.AspNetCore;

/// <summary>
/// Remembers SSO sessions the server said have ended, and back-channel notices already seen (replay), in
/// <see cref="IDistributedCache"/>: the in-memory cache unless the application registered a shared one (Redis,
/// SQL Server…), which every instance of a load-balanced app must do so a logout received by one instance
/// counts on all of them.
/// </summary>
/// <param name="cache">The application's distributed cache.</param>
public sealed class SimpleSsoSessionStore(IDistributedCache cache)
{
    private const string EndedPrefix = "latchkey:simple-sso:ended:";
    private const string SeenPrefix = "latchkey:simple-sso:notice:";
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("1");

    /// <summary>Records that <paramref name="ssoSession"/> ended; local sessions from it are refused for <paramref name="keepFor"/>.</summary>
    public Task MarkEndedAsync(string ssoSession, TimeSpan keepFor, CancellationToken ct = default) =>
        cache.SetAsync(EndedPrefix + ssoSession, Marker, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = keepFor }, ct);

    /// <summary>Whether the server has ended <paramref name="ssoSession"/> (within the retention period).</summary>
    public async Task<bool> IsEndedAsync(string ssoSession, CancellationToken ct = default) =>
        await cache.GetAsync(EndedPrefix + ssoSession, ct) is not null;

    /// <summary>
    /// Records a notice id; false if it was already recorded (a replay). Not atomic across instances with every
    /// cache, which is acceptable: replaying a logout can at worst end a session that has already ended.
    /// </summary>
    public async Task<bool> TryRecordNoticeAsync(string noticeId, TimeSpan keepFor, CancellationToken ct = default)
    {
        var key = SeenPrefix + noticeId;
        if (await cache.GetAsync(key, ct) is not null)
        {
            return false;
        }

        await cache.SetAsync(key, Marker, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = keepFor }, ct);
        return true;
    }
}
