using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Hosting.RateLimiting;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>
/// The JSON endpoints <c>wwwroot/js/passkeys.js</c> talks to. Every ceremony is two POSTs (options, then the browser's response),
/// both with antiforgery; the options are one-time and short-lived (<see cref="PasskeyCeremonies"/>).
/// </summary>
public static class PasskeyEndpoints
{
    public const string BasePath = "/account/passkeys";

    /// <summary>Passwordless: a user-verifying passkey is two factors on its own (RFC 8176 hwk + user).</summary>
    public static readonly IReadOnlyList<string> PasswordlessMethods = ["hwk", "user", "mfa"];

    /// <summary>Password first, then a passkey.</summary>
    public static readonly IReadOnlyList<string> SecondFactorMethods = ["pwd", "hwk", "mfa"];

    public static WebApplication MapLatchkeyPasskeys(this WebApplication app)
    {
        var group = app.MapGroup(BasePath).DisableAntiforgery();
        // Every options request stores a one-time ceremony row: budgeted per address like page views (see RateLimitPolicies.Ceremony).
        group.MapPost("/registration/options", BeginRegistrationAsync).RequireRateLimiting(RateLimitPolicies.Ceremony);
        group.MapPost("/registration", CompleteRegistrationAsync);
        group.MapPost("/signin/options", BeginSignInAsync).AllowAnonymous().RequireRateLimiting(RateLimitPolicies.Ceremony);
        // Answers are guesses against an account, budgeted like passwords and codes.
        group.MapPost("/signin", CompleteSignInAsync).AllowAnonymous().RequireRateLimiting(RateLimitPolicies.Login);
        group.MapPost("/second-factor/options", BeginSecondFactorAsync).AllowAnonymous().RequireRateLimiting(RateLimitPolicies.Ceremony);
        group.MapPost("/second-factor", CompleteSecondFactorAsync).AllowAnonymous().RequireRateLimiting(RateLimitPolicies.Mfa);
        return app;
    }

    private static async Task<IResult> BeginRegistrationAsync(
        HttpContext http, UserManager<LatchkeyUser> users, PasskeyCredentials credentials, PasskeyCeremonies ceremonies, TimeProvider time, IOptions<LatchkeyOptions> options)
    {
        if (await PasskeyRequests.CheckAntiforgeryAsync(http) is { } refused)
        {
            return refused;
        }

        if (await SignedInUserAsync(http, users) is not { } user)
        {
            return NotSignedIn();
        }

        if (!SignedInRecently(http, time, options))
        {
            return ReauthenticationRequired();
        }

        if (await credentials.CountAsync(user.Id, http.RequestAborted) >= PasskeyCeremonies.MaxPasskeysPerUser)
        {
            return PasskeyRequests.Error(PasskeyFailure.TooManyPasskeys);
        }

        return PasskeyRequests.Options(await ceremonies.BeginRegistrationAsync(user, http, http.RequestAborted));
    }

    private static async Task<IResult> CompleteRegistrationAsync(
        HttpContext http, UserManager<LatchkeyUser> users, PasskeyCredentials credentials, PasskeyCeremonies ceremonies, MfaFactors factors, IAuditLog audit,
        TimeProvider time, IOptions<LatchkeyOptions> options)
    {
        var (request, error) = await PasskeyRequests.ReadAsync(http);
        if (error is not null)
        {
            return error;
        }

        if (await SignedInUserAsync(http, users) is not { } user)
        {
            return NotSignedIn();
        }

        if (!SignedInRecently(http, time, options))
        {
            return ReauthenticationRequired();
        }

        if (request!.CeremonyId is not { } ceremonyId || request.CredentialJson is not { } credentialJson)
        {
            return PasskeyRequests.Malformed("'ceremony' and 'credential' are required.");
        }

        var ct = http.RequestAborted;
        string? name;
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            name = $"Passkey {await credentials.CountAsync(user.Id, ct) + 1}";
        }
        else if ((name = PasskeyNames.Normalize(request.Name, out var nameError)) is null)
        {
            return PasskeyRequests.Error(400, "invalid_name", nameError!);
        }

        var outcome = await ceremonies.CompleteRegistrationAsync(user, ceremonyId, credentialJson, name, http, ct);
        if (outcome.Failure is { } failure)
        {
            return PasskeyRequests.Error(failure);
        }

        await factors.SyncTwoFactorFlagAsync(user.Id, ct);
        await audit.AppendAsync(MfaAuditRecords.For(PasskeyAuditEvents.Registered, AuditOutcome.Success, user,
            new Dictionary<string, string> { ["name"] = name }), ct);
        return Results.Json(new { passkey = outcome.Value });
    }

    private static async Task<IResult> BeginSignInAsync(HttpContext http, PasskeyCeremonies ceremonies)
    {
        if (await PasskeyRequests.CheckAntiforgeryAsync(http) is { } refused)
        {
            return refused;
        }

        return PasskeyRequests.Options(await ceremonies.BeginAssertionAsync(user: null, http, http.RequestAborted));
    }

    private static async Task<IResult> CompleteSignInAsync(
        HttpContext http, PasskeyCeremonies ceremonies, SecondFactorLockout lockout, LatchkeySignIn signIn, IAuditLog audit)
    {
        var (request, error) = await PasskeyRequests.ReadAsync(http);
        if (error is not null)
        {
            return error;
        }

        if (request!.CeremonyId is not { } ceremonyId || request.CredentialJson is not { } credentialJson)
        {
            return PasskeyRequests.Malformed("'ceremony' and 'credential' are required.");
        }

        var ct = http.RequestAborted;
        var outcome = await ceremonies.CompleteAssertionAsync(ceremonyId, expectedUserId: null, credentialJson, http, ct);
        if (outcome.Failure is { } failure)
        {
            return await FailAsync(failure, outcome.AttemptedUser, count: true, lockout, audit, step: "passwordless", ct);
        }

        var user = outcome.Value!.User;
        await lockout.ResetAsync(user.Id, ct);
        await signIn.SignInAsync(user, PasswordlessMethods, isPersistent: false);
        PendingSignIns.Clear(http);
        await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.SignInSucceeded, AuditOutcome.Success, user,
            new Dictionary<string, string> { ["method"] = PasskeyAuditEvents.Method, ["step"] = "passwordless", ["passkey"] = outcome.Value.PasskeyName }), ct);
        return Results.Json(new { redirect = LocalRedirect.Sanitize(request.ReturnUrl) });
    }

    private static async Task<IResult> BeginSecondFactorAsync(
        HttpContext http, PendingSignIns pending, UserManager<LatchkeyUser> users, SecondFactorLockout lockout, PasskeyCeremonies ceremonies)
    {
        if (await PasskeyRequests.CheckAntiforgeryAsync(http) is { } refused)
        {
            return refused;
        }

        var ct = http.RequestAborted;
        if (await ResolveSecondFactorAsync(http, pending, users) is not { } context)
        {
            return NoPendingSignIn();
        }

        if (await lockout.IsLockedOutAsync(context.User.Id, ct))
        {
            return PasskeyRequests.Error(PasskeyFailure.LockedOut);
        }

        return PasskeyRequests.Options(await ceremonies.BeginAssertionAsync(context.User, http, ct));
    }

    private static async Task<IResult> CompleteSecondFactorAsync(
        HttpContext http, PendingSignIns pending, UserManager<LatchkeyUser> users, PasskeyCeremonies ceremonies, SecondFactorLockout lockout,
        LatchkeySignIn signIn, IAuditLog audit)
    {
        var (request, error) = await PasskeyRequests.ReadAsync(http);
        if (error is not null)
        {
            return error;
        }

        var ct = http.RequestAborted;
        if (await ResolveSecondFactorAsync(http, pending, users) is not { } context)
        {
            return NoPendingSignIn();
        }

        if (request!.CeremonyId is not { } ceremonyId || request.CredentialJson is not { } credentialJson)
        {
            return PasskeyRequests.Malformed("'ceremony' and 'credential' are required.");
        }

        var step = context.IsStepUp ? "step_up" : "second_factor";
        if (await lockout.IsLockedOutAsync(context.User.Id, ct))
        {
            return await FailAsync(PasskeyFailure.LockedOut, context.User, count: false, lockout, audit, step, ct);
        }

        var outcome = await ceremonies.CompleteAssertionAsync(ceremonyId, context.User.Id, credentialJson, http, ct);
        if (outcome.Failure is { } failure)
        {
            // Whoever got this far knows the password (or holds the session): every wrong answer is a guess against this account.
            // A stale or reused ceremony id is no guess (a double click, a reload), so it is audited but not counted.
            var count = failure != PasskeyFailure.UnknownCeremony && failure != PasskeyFailure.ExpiredCeremony;
            return await FailAsync(failure, context.User, count, lockout, audit, step, ct);
        }

        var user = outcome.Value!.User;
        await lockout.ResetAsync(user.Id, ct);
        var methods = context.MethodsSoFar.Concat(["hwk", "mfa"]).Distinct(StringComparer.Ordinal).ToList();
        await signIn.SignInAsync(user, methods, context.IsPersistent);
        PendingSignIns.Clear(http);

        var amr = string.Join(' ', methods);
        await audit.AppendAsync(MfaAuditRecords.For(PasskeyAuditEvents.Verified, AuditOutcome.Success, user,
            new Dictionary<string, string> { ["passkey"] = outcome.Value.PasskeyName, ["amr"] = amr }), ct);
        await audit.AppendAsync(MfaAuditRecords.For(context.IsStepUp ? MfaAuditEvents.StepUpSucceeded : MfaAuditEvents.SignInSucceeded,
            AuditOutcome.Success, user, new Dictionary<string, string> { ["method"] = PasskeyAuditEvents.Method, ["amr"] = amr }), ct);
        return Results.Json(new { redirect = LocalRedirect.Sanitize(request.ReturnUrl) });
    }

    /// <summary>The same two visitors the second-factor page serves: a pending sign-in (password done) or a session being stepped up.</summary>
    private static async Task<SecondFactorContext?> ResolveSecondFactorAsync(HttpContext http, PendingSignIns pending, UserManager<LatchkeyUser> users)
    {
        if (await pending.ReadAsync(http, http.RequestAborted) is { } signingIn)
        {
            return new SecondFactorContext(signingIn.User, ["pwd"], signingIn.IsPersistent, IsStepUp: false);
        }

        if (await SignedInUserAsync(http, users) is { } user)
        {
            var cookie = await http.AuthenticateAsync(IdentityConstants.ApplicationScheme);
            return new SecondFactorContext(user, http.User.GetAuthenticationMethods(), cookie.Properties?.IsPersistent ?? false, IsStepUp: true);
        }

        return null;
    }

    private sealed record SecondFactorContext(LatchkeyUser User, IReadOnlyList<string> MethodsSoFar, bool IsPersistent, bool IsStepUp);

    /// <summary>
    /// Audits the failure (subject: the account it was against, when known) and counts it toward that account's lockout unless
    /// <paramref name="count"/> is false or the failure is the lockout/disabled refusal itself.
    /// </summary>
    private static async Task<IResult> FailAsync(
        PasskeyFailure failure, LatchkeyUser? subject, bool count, SecondFactorLockout lockout, IAuditLog audit, string step, CancellationToken ct)
    {
        var details = new Dictionary<string, string> { ["method"] = PasskeyAuditEvents.Method, ["factor"] = PasskeyAuditEvents.Method, ["step"] = step, ["reason"] = failure.Code };
        if (count && subject is not null && failure != PasskeyFailure.NotAllowed && failure != PasskeyFailure.LockedOut
            && await lockout.CountFailureAsync(subject.Id, ct))
        {
            details["locked_out"] = "true";
        }

        var eventName = step == "step_up" ? MfaAuditEvents.VerificationFailed : MfaAuditEvents.SignInFailed;
        await audit.AppendAsync(MfaAuditRecords.For(eventName, AuditOutcome.Failure, subject, details), ct);
        return PasskeyRequests.Error(failure);
    }

    private static async Task<LatchkeyUser?> SignedInUserAsync(HttpContext http, UserManager<LatchkeyUser> users) =>
        http.User.Identity?.IsAuthenticated == true && await users.GetUserAsync(http.User) is { IsActive: true } user ? user : null;

    private static bool SignedInRecently(HttpContext http, TimeProvider time, IOptions<LatchkeyOptions> options) =>
        http.User.GetAuthenticationTime() is { } authenticatedAt
        && time.GetUtcNow() - authenticatedAt <= options.Value.Passkeys.RegistrationMaxAuthenticationAge;

    private static IResult ReauthenticationRequired() =>
        PasskeyRequests.Error(403, "reauthentication_required",
            "For your security, adding a passkey needs a recent sign-in. Sign out, sign in again, then add the passkey.");

    private static IResult NotSignedIn() =>
        PasskeyRequests.Error(401, "not_signed_in", "Sign in to manage your passkeys.");

    private static IResult NoPendingSignIn() =>
        PasskeyRequests.Error(401, "no_pending_sign_in", "Your sign-in has expired. Enter your username and password again.");
}
