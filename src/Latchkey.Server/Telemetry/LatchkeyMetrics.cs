using System.Diagnostics;
using System.Diagnostics.Metrics;
using Latchkey.Server.Audit;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;

namespace Latchkey.Server.Telemetry;

/// <summary>
/// The <c>Latchkey</c> meter. Counters are fed from audit records (<see cref="Observe"/>), so every audited
/// sign-in or token issuance is counted once, wherever it happens, without instrumenting each feature twice.
/// </summary>
public sealed class LatchkeyMetrics : IDisposable
{
    public const string MeterName = "Latchkey";
    public const string ActivitySourceName = "Latchkey";

    /// <summary>Traces of Latchkey's own work (audit commits); ASP.NET Core's spans cover requests.</summary>
    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    private static readonly TimeSpan ActiveSessionsCacheLifetime = TimeSpan.FromSeconds(30);

    private readonly Meter _meter;
    private readonly Counter<long> _signIns;
    private readonly Counter<long> _signInFailures;
    private readonly Counter<long> _tokensIssued;
    private readonly Counter<long> _auditEntries;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long? _activeSessions;
    private DateTimeOffset _activeSessionsReadAt = DateTimeOffset.MinValue;

    public LatchkeyMetrics(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider time)
    {
        _scopes = scopes;
        _time = time;
        _meter = meters.Create(MeterName);
        _signIns = _meter.CreateCounter<long>("latchkey.signins", "{signin}", "Successful interactive sign-ins.");
        _signInFailures = _meter.CreateCounter<long>("latchkey.signin.failures", "{signin}", "Failed sign-ins, by reason.");
        _tokensIssued = _meter.CreateCounter<long>("latchkey.tokens.issued", "{token}", "Tokens and codes issued, by protocol and grant.");
        _auditEntries = _meter.CreateCounter<long>("latchkey.audit.entries", "{entry}", "Audit entries appended, by outcome.");
        _meter.CreateObservableGauge("latchkey.sessions.active", ReadActiveSessions, "{session}", "SSO sessions not ended (refreshed at most every 30 s).");
    }

    /// <summary>Counts what an audit record says happened.</summary>
    public void Observe(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var outcome = record.Outcome == AuditOutcome.Success ? "success" : "failure";
        _auditEntries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        var reason = record.Details?.GetValueOrDefault("reason") ?? "unknown";
        switch (record.Event)
        {
            case "signin.succeeded":
                _signIns.Add(1, new KeyValuePair<string, object?>("amr", record.Details?.GetValueOrDefault("amr") ?? "unknown"));
                break;
            case "signin.failed":
                _signInFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
                break;
            case AuditEvents.TokenIssued:
                _tokensIssued.Add(1, new("protocol", "oidc"), new("grant", record.Details?.GetValueOrDefault("grant_type") ?? "unknown"));
                break;
            case AuditEvents.CodeIssued:
                _tokensIssued.Add(1, new("protocol", "oidc"), new("grant", record.Details?.GetValueOrDefault("types") ?? "code"));
                break;
            case AuditEvents.SsoAuthorizeGranted:
                _tokensIssued.Add(1, new("protocol", "simple-sso"), new("grant", "access_token"));
                break;
            case AuditEvents.SsoRequestTokenIssued:
                _tokensIssued.Add(1, new("protocol", "simple-sso"), new("grant", "request_token"));
                break;
        }
    }

    // Scrapes may come every second from several collectors: one COUNT per 30 s is enough for a gauge.
    private IEnumerable<Measurement<long>> ReadActiveSessions()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_activeSessions is null || now - _activeSessionsReadAt >= ActiveSessionsCacheLifetime)
            {
                try
                {
                    using var scope = _scopes.CreateScope();
                    var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
                    _activeSessions = db.Set<SsoSession>().LongCount(s => s.EndedAt == null);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    // A database outage shows in /health/ready; the gauge keeps its last value.
                }

                _activeSessionsReadAt = now;
            }

            return _activeSessions is { } value ? [new Measurement<long>(value)] : [];
        }
    }

    public void Dispose() => _meter.Dispose();
}
