using Latchkey.Server.Audit;
using Latchkey.Server.Consumers;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.SimpleSso;

/// <summary>
/// <c>POST {base}verify/</c> (protocol §3.3): the client trades the access token for the user. The
/// token is one-time (consumed here) and only its own consumer may trade it; failures are proper
/// 4xx answers where django-simple-sso gave 500s (§9 weaknesses 1 and 3).
/// </summary>
internal static class VerifyEndpoint
{
    private const string Name = "verify";

    // Compiled once (EF's per-call query-cache lookup cost more than the query), and the bound user comes with
    // the token rather than in a second query.
    private static readonly PerModelCompiledQuery<Func<LatchkeyDbContext, string, Guid, CancellationToken, Task<TokenAndUser?>>> TokenWithUser = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext db, string accessTokenHash, Guid consumerId, CancellationToken ct) =>
            (from t in db.SimpleSsoTokens.AsNoTracking()
             where t.AccessTokenHash == accessTokenHash && t.ConsumerId == consumerId
             join u in db.Users.AsNoTracking() on t.UserId equals (Guid?)u.Id into users
             from u in users.DefaultIfEmpty()
             select new TokenAndUser(t, u))
            .SingleOrDefault()));

    private sealed record TokenAndUser(SimpleSsoToken Token, LatchkeyUser? User);

    public static async Task HandleAsync(HttpContext context, SimpleSsoSettings settings, ConsumerRegistry consumers, LatchkeyDbContext db, TimeProvider time, ILoggerFactory loggers, IAuditLog audit)
    {
        var logger = loggers.CreateLogger(typeof(VerifyEndpoint));
        await SimpleSsoHttp.HoldConnectionAsync(db, context.RequestAborted);
        var request = await SimpleSsoHttp.ReadSignedRequestAsync(context, settings, consumers, time);
        if (!request.IsSuccess)
        {
            await AuditFailureAsync(audit, null, request.Error, context.RequestAborted);
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, request.Error);
            return;
        }

        // extra_data is accepted and ignored: Latchkey has no per-consumer extra-data hook yet, and
        // the user object without it is what a client configured with user_extra_data can still use
        // (django-simple-sso answered 400 here unless the server was subclassed).
        var parsed = VerifyRequest.From(request.Value.Payload);
        if (!parsed.IsSuccess)
        {
            await AuditFailureAsync(audit, request.Value.Key.Consumer.Name, parsed.Error, context.RequestAborted);
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, parsed.Error);
            return;
        }

        var consumer = request.Value.Key.Consumer;
        var result = await VerifyAsync(parsed.Value.AccessToken, consumer, db, time, context.RequestAborted);
        if (!result.IsSuccess)
        {
            await AuditFailureAsync(audit, consumer.Name, result.Error, context.RequestAborted);
            await SimpleSsoHttp.RefuseAsync(context, logger, Name, result.Error);
            return;
        }

        var (user, userId) = result.Value;
        Log.TokenVerified(logger, consumer.Name, userId);
        await audit.AppendAsync(
            new AuditRecord(AuditEvents.SsoVerifySucceeded, AuditOutcome.Success)
            {
                ActorId = userId,
                ActorName = user.Username,
                SubjectId = userId,
                SubjectName = user.Username,
                App = AuditRecord.SimpleSsoApp(consumer.Name),
            },
            context.RequestAborted);
        await SimpleSsoHttp.WriteEnvelopeAsync(context, request.Value, user, time);
    }

    private static Task AuditFailureAsync(IAuditLog audit, string? consumer, SimpleSsoError error, CancellationToken ct) =>
        audit.AppendAsync(
            new AuditRecord(AuditEvents.SsoVerifyFailed, AuditOutcome.Failure)
            {
                App = consumer is null ? null : AuditRecord.SimpleSsoApp(consumer),
                Details = new Dictionary<string, string> { ["reason"] = error.Reason, ["status"] = error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            ct);

    private static async Task<SimpleSsoResult<(SimpleSsoUser User, Guid UserId)>> VerifyAsync(
        string accessToken, Consumer consumer, LatchkeyDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (!SimpleSsoTokens.IsWellFormed(accessToken))
        {
            return SimpleSsoError.TokenNotFound;
        }

        var hash = SimpleSsoHashes.Of(accessToken);

        // Another consumer's token is "not found": a consumer must not learn that it exists.
        var found = await TokenWithUser.For(db)(db, hash, consumer.Id, ct);
        if (found?.Token is not { UserId: { } userId } token)
        {
            return SimpleSsoError.TokenNotFound;
        }

        var now = time.GetUtcNow();
        if (token.ExpiresAt <= now)
        {
            await db.SimpleSsoTokens.Where(t => t.Id == token.Id).ExecuteDeleteAsync(ct);
            return SimpleSsoError.TokenTimedOut;
        }

        if (token.ConsumedAt is not null)
        {
            return SimpleSsoError.TokenAlreadyUsed;
        }

        var user = found.User;
        if (user is not { IsActive: true, UserName.Length: > 0 })
        {
            return SimpleSsoError.AccessDenied;
        }

        // Conditional update: of two concurrent verifies exactly one sees a row change.
        var consumed = await db.SimpleSsoTokens
            .Where(t => t.Id == token.Id && t.ConsumedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.ConsumedAt, now), ct);
        if (consumed != 1)
        {
            return SimpleSsoError.TokenAlreadyUsed;
        }

        // Latchkey's single-logout extension, only for consumers that receive it: a django-simple-sso client
        // would pass the extra key to its User model and fail the first login of every user.
        var additional = consumer.BackChannelLogoutUrl is not null && token.SessionId is { } sessionId
            ? new Dictionary<string, System.Text.Json.JsonElement>
            {
                [SingleLogoutProtocol.SessionField] = System.Text.Json.JsonSerializer.SerializeToElement(Sessions.SsoSessionClaimTypes.Format(sessionId)),
            }
            : null;
        return (new SimpleSsoUser
        {
            AdditionalFields = additional,
            Username = user.UserName,
            Email = user.Email ?? "",
            FirstName = user.FirstName,
            LastName = user.LastName,
            IsStaff = consumer.GrantStaff,
            IsSuperuser = consumer.GrantSuperuser,
            IsActive = user.IsActive,
        }, userId);
    }
}
