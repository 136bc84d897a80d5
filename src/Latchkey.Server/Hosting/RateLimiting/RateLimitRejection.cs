using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.RateLimiting;
using Latchkey.Server.Audit;
using Microsoft.AspNetCore.RateLimiting;

namespace Latchkey.Server.Hosting.RateLimiting;

/// <summary>
/// The 429 answer: <c>Retry-After</c>, then an HTML page for people or OAuth-style JSON for protocol endpoints; audited at
/// most once per client and policy per minute, so an attack cannot turn rejections into audit writes.
/// </summary>
public sealed class RateLimitRejection(TimeProvider time, ILogger<RateLimitRejection> logger)
{
    private static readonly TimeSpan AuditInterval = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastAudited = new();

    public async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var target = RateLimitTarget.Of(http);
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";

        logger.LogWarning("Rate limit '{Policy}' reached for {Client}; retry after {Seconds} s.", target?.Policy, target?.ClientKey, seconds);
        await AuditAsync(http, target, ct);

        var json = target?.Policy switch
        {
            // RFC 8628 defines slow_down for device polling; elsewhere OAuth's temporarily_unavailable is the closest error.
            RateLimitPolicies.Token => new Dictionary<string, string>
            {
                ["error"] = RateLimitTargetMiddleware.IsDeviceCodePoll(http) ? "slow_down" : "temporarily_unavailable",
                ["error_description"] = $"Too many requests. Try again in {seconds} seconds.",
            },
            // Asked for by script (passkeys.js), which shows "message" the way it shows the passkey endpoints' own errors.
            RateLimitPolicies.Ceremony => new Dictionary<string, string>
            {
                ["error"] = "rate_limited",
                ["message"] = MessageFor(target.Policy, seconds),
            },
            _ => null,
        };
        if (json is not null)
        {
            http.Response.ContentType = "application/json; charset=utf-8";
            await JsonSerializer.SerializeAsync(http.Response.Body, json, cancellationToken: ct);
            return;
        }

        http.Response.ContentType = "text/html; charset=utf-8";
        var message = HtmlEncoder.Default.Encode(MessageFor(target?.Policy, seconds));
        await http.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Too many attempts - Latchkey</title></head>
            <body>
            <main>
            <h1>Too many attempts</h1>
            <p id="rate-limit-message" role="alert">{message}</p>
            <p><a href="/">Back to the start page</a></p>
            </main>
            </body>
            </html>
            """, ct);
    }

    /// <summary>Human wording per policy; never says whether the account exists.</summary>
    public static string MessageFor(string? policy, int seconds)
    {
        var when = seconds >= 120 ? $"{(seconds + 59) / 60} minutes" : $"{seconds} seconds";
        return policy switch
        {
            RateLimitPolicies.Login => $"Too many sign-in attempts. Please wait {when} and try again.",
            RateLimitPolicies.Mfa => $"Too many verification attempts. Please wait {when} and try again.",
            RateLimitPolicies.PasswordReset => $"Too many password-reset or verification requests. Please wait {when} and try again.",
            RateLimitPolicies.Ceremony => $"Too many passkey requests from your network. Please wait {when} and try again.",
            _ => $"Too many requests. Please wait {when} and try again.",
        };
    }

    private async Task AuditAsync(HttpContext http, RateLimitTarget? target, CancellationToken ct)
    {
        if (target is null || http.RequestServices.GetService<IAuditLog>() is not { } audit)
        {
            return;
        }

        var now = time.GetUtcNow();
        var key = target.Policy + "|" + target.ClientKey + "|" + target.AccountKey;
        if (_lastAudited.TryGetValue(key, out var last) && now - last < AuditInterval)
        {
            return;
        }

        _lastAudited[key] = now;
        if (_lastAudited.Count > 10_000)
        {
            foreach (var stale in _lastAudited.Where(e => now - e.Value >= AuditInterval).Select(e => e.Key).ToList())
            {
                _lastAudited.TryRemove(stale, out _);
            }
        }

        try
        {
            await audit.AppendAsync(new AuditRecord("ratelimit.rejected", AuditOutcome.Failure)
            {
                Details = new Dictionary<string, string> { ["policy"] = target.Policy, ["path"] = http.Request.Path.Value ?? "" },
            }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The 429 matters more than its audit line.
            logger.LogWarning(e, "Could not audit a rate-limit rejection.");
        }
    }
}
