using Latchkey.Server.Accounts;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Username/password sign-in. Every failure (unknown user, wrong password, locked out, disabled) gets
/// the same message and costs one hash verification, so the page does not reveal which it was.
/// A user who owes a second factor does not get the SSO session here: the password step is parked in a short-lived
/// cookie (<see cref="PendingSignIns"/>) and the browser goes to the second-factor page.
/// </summary>
[AllowAnonymous]
[PermitCrossOriginFormRedirects]
public sealed class LoginModel(
    LatchkeySignInManager signInManager,
    UserManager<LatchkeyUser> userManager,
    LoginTimingEqualizer timingEqualizer,
    LatchkeySignIn signIn,
    MfaFactors factors,
    PendingSignIns pendingSignIns,
    IOptions<LatchkeyOptions> options,
    IAuditLog audit,
    ILogger<LoginModel> logger) : PageModel
{
    public const string InvalidCredentialsMessage = "Invalid username or password.";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Username { get; set; }

    /// <summary>OIDC <c>login_hint</c>: pre-fills the username (the user can still change it).</summary>
    [FromQuery(Name = "login_hint")]
    public string? LoginHint { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    /// <summary>"Keep me signed in": a persistent cookie and the longer <c>Latchkey:Sessions</c> RememberMe bounds.</summary>
    [BindProperty]
    public bool RememberMe { get; set; }

    public string? ErrorMessage { get; private set; }

    public IActionResult OnGet()
    {
        ReturnUrl = SafeReturnUrl(ReturnUrl);
        Username ??= LoginHint is { Length: <= 256 } hint ? hint : null;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var ct = HttpContext.RequestAborted;
        var username = Username?.Trim();
        var password = Password ?? "";
        Password = null;
        if (string.IsNullOrEmpty(username) || password.Length == 0 || username.Length > 256 || password.Length > 1024)
        {
            return Fail();
        }

        var user = await userManager.FindByNameAsync(username);
        if (user is null)
        {
            timingEqualizer.SpendVerification(password);
            logger.LogInformation("Sign-in failed: unknown user.");
            // The typed name is kept out of the record: users paste passwords into the username field.
            await AuditFailureAsync(null, MfaAuditEvents.Reasons.UnknownUser, ct);
            return Fail();
        }

        // Identity checks lockout, disabled state and the password (LatchkeySignInManager keeps its bookkeeping safe when
        // sign-ins of the same user race); the session-backed cookie is ours.
        Microsoft.AspNetCore.Identity.SignInResult result;
        try
        {
            result = await signInManager.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);
            if (result.Succeeded)
            {
                return await CompletePasswordStepAsync(user, ct);
            }
        }
        catch (DbUpdateConcurrencyException)
        {
            // Last resort: a row this request wrote was changed or removed by a concurrent request (e.g. the session
            // ended or the user deleted meanwhile). Nothing was signed in; answer like any failure, never with a 500.
            logger.LogWarning("Sign-in of user {UserId} abandoned after a concurrent change.", user.Id);
            return Fail();
        }

        if (result.IsLockedOut || result.IsNotAllowed)
        {
            // Identity answers these before checking the password; spend the same time a wrong password would.
            timingEqualizer.SpendVerification(password);
        }

        var reason = result.IsLockedOut ? MfaAuditEvents.Reasons.LockedOut
            : result.IsNotAllowed ? MfaAuditEvents.Reasons.Disabled
            : MfaAuditEvents.Reasons.WrongPassword;
        logger.LogInformation("Sign-in failed for user {UserId}: {Reason}.", user.Id, reason);
        await AuditFailureAsync(user, reason, ct);
        return Fail();
    }

    // The password was right. Either the sign-in is complete, or a second factor is owed (an enrolled factor, or a policy that
    // requires MFA and a factor the user can use), or the user must enrol first (policy requires MFA, nothing to use yet).
    private async Task<IActionResult> CompletePasswordStepAsync(LatchkeyUser user, CancellationToken ct)
    {
        var returnUrl = SafeReturnUrl(ReturnUrl);
        var userFactors = await factors.GetAsync(user, ct);
        var required = MfaPolicy.RequiredForUser(options.Value.Mfa.PolicyKind, user.MfaRequirement);
        if (userFactors.HasEnrolledFactor || (required && userFactors.CanVerify))
        {
            pendingSignIns.Issue(HttpContext, user, isPersistent: RememberMe);
            logger.LogInformation("User {UserId} passed the password step; second factor pending.", user.Id);
            return Redirect(Accounts.AppAccess.AppSignInGate.VerifyPath + "?returnUrl=" + Uri.EscapeDataString(returnUrl));
        }

        await signIn.SignInAsync(user, ["pwd"], isPersistent: RememberMe);
        logger.LogInformation("User {UserId} signed in.", user.Id);
        await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.SignInSucceeded, AuditOutcome.Success, user,
            new Dictionary<string, string> { ["amr"] = "pwd" }), ct);
        if (required)
        {
            // Enrolment is the next stop; the gate keeps every app closed to this single-factor session until then.
            return Redirect(Accounts.AppAccess.AppSignInGate.EnrolPath + "?returnUrl=" + Uri.EscapeDataString(returnUrl));
        }

        return Redirect(returnUrl);
    }

    private Task AuditFailureAsync(LatchkeyUser? user, string reason, CancellationToken ct) =>
        audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.SignInFailed, AuditOutcome.Failure, user,
            new Dictionary<string, string> { ["reason"] = reason }), ct);

    private PageResult Fail()
    {
        ErrorMessage = InvalidCredentialsMessage;
        ReturnUrl = SafeReturnUrl(ReturnUrl);
        return Page();
    }

    private string SafeReturnUrl(string? returnUrl) => ReturnUrls.IsSafe(Url, returnUrl) ? returnUrl : "/";
}
