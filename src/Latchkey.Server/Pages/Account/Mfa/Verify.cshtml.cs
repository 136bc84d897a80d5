using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Mail;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Latchkey.Server.Hosting.RateLimiting;

namespace Latchkey.Server.Pages.Account.Mfa;

/// <summary>
/// The second-factor step, for two kinds of visitor: a sign-in whose password step passed (pending cookie, no session yet), and
/// a signed-in single-factor session that an app wants stepped up. Accepts a TOTP code, a recovery code or an emailed code (and,
/// through <c>_VerifyPasskey</c>, a passkey). Wrong codes count towards Identity's lockout and are audited.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(RateLimitPolicies.Mfa)]
[PermitCrossOriginFormRedirects]
public sealed class VerifyModel(
    PendingSignIns pendingSignIns,
    UserManager<LatchkeyUser> users,
    MfaFactors factors,
    TotpAuthenticators totp,
    RecoveryCodes recoveryCodes,
    EmailCodes emailCodes,
    SecondFactorLockout lockout,
    LatchkeySignIn signIn,
    IAuditLog audit,
    ILogger<VerifyModel> logger) : PageModel
{
    public const string WrongCodeMessage = "That code is not valid. Check it and try again.";
    public const string ReplayedCodeMessage = "That code was already used. Wait for the next code in your authenticator app.";
    public const string LockedOutMessage = "Too many failed attempts. Try again later.";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Code { get; set; }

    [BindProperty]
    public string? RecoveryCode { get; set; }

    [BindProperty]
    public string? EmailCode { get; set; }

    public UserFactors Factors { get; private set; } = new(false, 0, 0, false);

    /// <summary>True when an existing session is being stepped up (as opposed to finishing a sign-in).</summary>
    public bool IsStepUp { get; private set; }

    public string? ErrorMessage { get; private set; }

    public string? StatusMessage { get; private set; }

    /// <summary>Set after a recovery code finished the sign-in: the page then only says how many are left and links on.</summary>
    public int? RecoveryCodesRemaining { get; private set; }

    public string ContinueUrl => SafeReturnUrl();

    public async Task<IActionResult> OnGetAsync()
    {
        var context = await ResolveAsync();
        if (context is null)
        {
            return RedirectToLogin();
        }

        if (context.IsStepUp && AppSignInGate.IsMultiFactor(User))
        {
            return Redirect(SafeReturnUrl());
        }

        if (!Factors.CanVerify)
        {
            // Nothing to verify with: a signed-in user enrols; a pending sign-in (factors removed meanwhile) starts again.
            return context.IsStepUp ? Redirect(AppSignInGate.RedirectFor(AppGateDecision.Enrol, SafeReturnUrl())) : RedirectToLogin();
        }

        return Page();
    }

    public Task<IActionResult> OnPostTotpAsync() => VerifyAsync("otp", async (context, ct) =>
    {
        var result = await totp.VerifyAsync(context.User.Id, Code, ct);
        return result switch
        {
            TotpVerification.Accepted => (true, MfaAuditEvents.TotpVerified, null),
            TotpVerification.Replayed => (false, "totp", ReplayedCodeMessage),
            _ => (false, "totp", WrongCodeMessage),
        };
    });

    public Task<IActionResult> OnPostRecoveryAsync() => VerifyAsync("otp", async (context, ct) =>
    {
        var remaining = await recoveryCodes.TryConsumeAsync(context.User.Id, RecoveryCode, ct);
        if (remaining is null)
        {
            return (false, "recovery_code", WrongCodeMessage);
        }

        RecoveryCodesRemaining = remaining;
        return (true, MfaAuditEvents.RecoveryCodeUsed, null);
    });

    public Task<IActionResult> OnPostEmailAsync() => VerifyAsync("otp", async (context, ct) =>
    {
        var result = await emailCodes.VerifyAsync(context.User.Id, EmailCode, ct);
        return result switch
        {
            EmailCodeVerification.Accepted => (true, MfaAuditEvents.EmailCodeVerified, null),
            EmailCodeVerification.NoActiveCode => (false, "email_code", "There is no valid emailed code: it expired, was used, or had too many wrong tries. Send a new one."),
            _ => (false, "email_code", WrongCodeMessage),
        };
    });

    public async Task<IActionResult> OnPostSendEmailAsync()
    {
        var ct = HttpContext.RequestAborted;
        var context = await ResolveAsync();
        if (context is null)
        {
            return RedirectToLogin();
        }

        if (!Factors.EmailCode)
        {
            ErrorMessage = "Email codes are not available for this account.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        try
        {
            await emailCodes.SendAsync(context.User, ct);
        }
        catch (MailNotConfiguredException)
        {
            ErrorMessage = "Email codes are not available: this server has no mail relay configured.";
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Page();
        }

        await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.EmailCodeSent, AuditOutcome.Success, context.User), ct);
        StatusMessage = $"We sent a code to {MaskEmail(context.User.Email!)}. It is valid for a few minutes.";
        return Page();
    }

    private async Task<IActionResult> VerifyAsync(string method, Func<VerifyContext, CancellationToken, Task<(bool Ok, string EventOrFactor, string? Error)>> check)
    {
        var ct = HttpContext.RequestAborted;
        var context = await ResolveAsync();
        if (context is null)
        {
            return RedirectToLogin();
        }

        if (await lockout.IsLockedOutAsync(context.User.Id, ct))
        {
            await AuditFailureAsync(context, MfaAuditEvents.Reasons.LockedOut, "none", ct);
            return Refuse(LockedOutMessage, StatusCodes.Status429TooManyRequests);
        }

        var (ok, eventOrFactor, error) = await check(context, ct);
        if (!ok)
        {
            var lockedNow = await lockout.CountFailureAsync(context.User.Id, ct);
            logger.LogInformation("Second factor refused for user {UserId} ({Factor}).", context.User.Id, eventOrFactor);
            await AuditFailureAsync(context, MfaAuditEvents.Reasons.WrongCode, eventOrFactor, ct);
            return Refuse(lockedNow ? LockedOutMessage : error!, StatusCodes.Status400BadRequest);
        }

        await lockout.ResetAsync(context.User.Id, ct);
        var methods = context.MethodsSoFar.Concat([method, "mfa"]).Distinct(StringComparer.Ordinal).ToList();
        await signIn.SignInAsync(context.User, methods, context.IsPersistent);
        PendingSignIns.Clear(HttpContext);

        var details = new Dictionary<string, string> { ["amr"] = string.Join(' ', methods) };
        if (RecoveryCodesRemaining is { } remaining)
        {
            details["remaining"] = remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await audit.AppendAsync(MfaAuditRecords.For(eventOrFactor, AuditOutcome.Success, context.User, details), ct);
        await audit.AppendAsync(MfaAuditRecords.For(context.IsStepUp ? MfaAuditEvents.StepUpSucceeded : MfaAuditEvents.SignInSucceeded,
            AuditOutcome.Success, context.User, new Dictionary<string, string> { ["amr"] = details["amr"] }), ct);
        logger.LogInformation("User {UserId} completed the second factor.", context.User.Id);

        // A used recovery code is worth a pause: the user should know how many are left (and regenerate when low).
        return RecoveryCodesRemaining is null ? Redirect(SafeReturnUrl()) : Page();
    }

    private Task AuditFailureAsync(VerifyContext context, string reason, string factor, CancellationToken ct) =>
        audit.AppendAsync(MfaAuditRecords.For(context.IsStepUp ? MfaAuditEvents.VerificationFailed : MfaAuditEvents.SignInFailed,
            AuditOutcome.Failure, context.User, new Dictionary<string, string> { ["reason"] = reason, ["factor"] = factor }), ct);

    private PageResult Refuse(string message, int status)
    {
        ErrorMessage = message;
        Code = RecoveryCode = EmailCode = null;
        Response.StatusCode = status;
        return Page();
    }

    private async Task<VerifyContext?> ResolveAsync()
    {
        var ct = HttpContext.RequestAborted;
        VerifyContext? context = null;
        if (await pendingSignIns.ReadAsync(HttpContext, ct) is { } pending)
        {
            context = new VerifyContext(pending.User, ["pwd"], pending.IsPersistent, IsStepUp: false);
        }
        else if (User.Identity?.IsAuthenticated == true && await users.GetUserAsync(User) is { IsActive: true } user)
        {
            var cookie = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
            context = new VerifyContext(user, User.GetAuthenticationMethods(), cookie.Properties?.IsPersistent ?? false, IsStepUp: true);
        }

        if (context is not null)
        {
            IsStepUp = context.IsStepUp;
            Factors = await factors.GetAsync(context.User, ct);
        }

        return context;
    }

    private RedirectResult RedirectToLogin() => Redirect("/account/login?returnUrl=" + Uri.EscapeDataString(SafeReturnUrl()));

    private string SafeReturnUrl() => ReturnUrls.IsSafe(Url, ReturnUrl) ? ReturnUrl : "/";

    private static string MaskEmail(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at <= 1 ? "your address" : email[0] + new string('•', Math.Min(at - 1, 6)) + email[at..];
    }

    private sealed record VerifyContext(LatchkeyUser User, IReadOnlyList<string> MethodsSoFar, bool IsPersistent, bool IsStepUp);
}
