using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Oidc;

/// <summary>What one prune removed.</summary>
public sealed record OidcPruneResult(long Tokens, long Authorizations);

/// <summary>
/// Every <see cref="LatchkeyOidcOptions.PruneInterval"/>: OpenIddict's own pruning of token rows that can no longer be used
/// (expired, redeemed, revoked, rejected) and authorizations that grant nothing any more (revoked, or ad hoc with no live
/// token), created longer than <see cref="LatchkeyOidcOptions.PruneAfter"/> ago (at least the refresh-token lifetime, so a
/// replayed refresh token still finds its redeemed row and revokes the grant). Without it these tables only grow.
/// Safe on several nodes at once: each delete is conditional.
/// </summary>
public sealed partial class OidcStorePruner(
    IServiceScopeFactory scopes,
    IOptions<LatchkeyOidcOptions> options,
    TimeProvider time,
    ILogger<OidcStorePruner> logger) : BackgroundService
{
    public async Task<OidcPruneResult> PruneAsync(CancellationToken ct)
    {
        var oidc = options.Value;
        var keep = oidc.PruneAfter > oidc.RefreshTokenLifetime ? oidc.PruneAfter : oidc.RefreshTokenLifetime;
        var threshold = time.GetUtcNow() - keep;
        await using var scope = scopes.CreateAsyncScope();
        var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, ct);
        var authorizations = await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, ct);
        if (tokens + authorizations > 0)
        {
            LogPruned(logger, tokens, authorizations);
        }

        return new OidcPruneResult(tokens, authorizations);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicSweep.RunAsync(options.Value.PruneInterval, time, PruneAsync, e => LogFailed(logger, e), stoppingToken);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Pruned {Tokens} spent tokens and {Authorizations} spent authorizations.")]
    private static partial void LogPruned(ILogger logger, long tokens, long authorizations);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Pruning spent OpenID Connect tokens failed; retrying at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
