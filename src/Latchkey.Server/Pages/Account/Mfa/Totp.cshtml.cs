using System.Security.Cryptography;
using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Audit;
using Latchkey.Server.Hosting;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Latchkey.Server.Hosting.RateLimiting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Pages.Account.Mfa;

/// <summary>
/// TOTP enrolment: a fresh secret as a QR code and a typed key, confirmed with a first code. Until confirmed the secret lives
/// only in a Data-Protected form field bound to the user, so abandoned enrolments leave nothing behind. On confirmation the
/// user gets recovery codes (once) and the session becomes multi-factor.
/// </summary>
[Authorize]
[EnableRateLimiting(RateLimitPolicies.Mfa)]
public sealed class TotpModel(
    UserManager<LatchkeyUser> users,
    TotpAuthenticators totp,
    RecoveryCodes recoveryCodes,
    MfaFactors factors,
    LatchkeySignIn signIn,
    IDataProtectionProvider dataProtection,
    IOptions<LatchkeyOptions> options,
    IAuditLog audit,
    TimeProvider time) : PageModel
{
    private const string EnrolmentPurpose = "Latchkey.Mfa.TotpEnrolment.v1";
    private static readonly TimeSpan EnrolmentLifetime = TimeSpan.FromMinutes(15);

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The pending secret, protected for this user.</summary>
    [BindProperty]
    public string? Enrolment { get; set; }

    [BindProperty]
    public string? Code { get; set; }

    public bool AlreadyEnabled { get; private set; }

    /// <summary>True when policy makes this user enrol before reaching any app.</summary>
    public bool Required { get; private set; }

    public string ManualKey { get; private set; } = "";

    public string QrSvg { get; private set; } = "";

    public string? ErrorMessage { get; private set; }

    /// <summary>Shown once, right after enrolment.</summary>
    public IReadOnlyList<string>? NewRecoveryCodes { get; private set; }

    public bool Enrolled { get; private set; }

    public string ContinueUrl => ReturnUrls.IsSafe(Url, ReturnUrl) ? ReturnUrl : "/account/mfa";

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Challenge();
        }

        if (await NeedsStepUpAsync(user))
        {
            return Redirect(AppSignInGate.RedirectFor(AppGateDecision.StepUp, Request.Path + QueryString.Create("returnUrl", ContinueUrl)));
        }

        Required = MfaPolicy.RequiredForUser(options.Value.Mfa.PolicyKind, user.MfaRequirement);
        AlreadyEnabled = await totp.IsEnabledAsync(user.Id, HttpContext.RequestAborted);
        if (!AlreadyEnabled)
        {
            Show(user, TotpCodes.NewSecret());
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var ct = HttpContext.RequestAborted;
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Challenge();
        }

        if (await NeedsStepUpAsync(user))
        {
            return Redirect(AppSignInGate.RedirectFor(AppGateDecision.StepUp, Request.Path + QueryString.Create("returnUrl", ContinueUrl)));
        }

        Required = MfaPolicy.RequiredForUser(options.Value.Mfa.PolicyKind, user.MfaRequirement);
        var secret = ReadEnrolment(user);
        if (secret is null)
        {
            // Tampered, another user's, or too old: start over with a new secret.
            ErrorMessage = "This enrolment expired. Scan the new code below.";
            Show(user, TotpCodes.NewSecret());
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        if (await totp.IsEnabledAsync(user.Id, ct))
        {
            AlreadyEnabled = true;
            return Page();
        }

        if (!await totp.EnableAsync(user.Id, secret, Code, ct))
        {
            ErrorMessage = "That code does not match. Check the time on your phone and enter the current code.";
            Show(user, secret);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await factors.SyncTwoFactorFlagAsync(user.Id, ct);
        await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.TotpEnrolled, AuditOutcome.Success, user), ct);
        if (await recoveryCodes.CountRemainingAsync(user.Id, ct) == 0)
        {
            NewRecoveryCodes = await recoveryCodes.RegenerateAsync(user.Id, ct);
            await audit.AppendAsync(MfaAuditRecords.For(MfaAuditEvents.RecoveryCodesGenerated, AuditOutcome.Success, user), ct);
        }

        // The user just proved the new factor on top of the session's: the session is multi-factor now.
        var cookie = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var methods = User.GetAuthenticationMethods().Concat(["otp", "mfa"]).Distinct(StringComparer.Ordinal).ToList();
        await signIn.SignInAsync(user, methods, cookie.Properties?.IsPersistent ?? false);

        Enrolled = true;
        return Page();
    }

    // A user who already has a factor adds another only from a multi-factor session: a stolen password must not be enough to
    // plant an attacker's authenticator next to the owner's.
    private async Task<bool> NeedsStepUpAsync(LatchkeyUser user) =>
        !AppSignInGate.IsMultiFactor(User) && (await factors.GetAsync(user, HttpContext.RequestAborted)).HasEnrolledFactor;

    private void Show(LatchkeyUser user, byte[] secret)
    {
        var issuer = options.Value.Mfa.TotpIssuer;
        var expiresAt = (time.GetUtcNow() + EnrolmentLifetime).ToUnixTimeSeconds();
        Enrolment = Protector(user).Protect(expiresAt.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Convert.ToBase64String(secret));
        ManualKey = TotpCodes.FormatManualKey(secret);
        QrSvg = QrCodeSvg.Render(TotpCodes.EnrolmentUri(issuer, user.UserName ?? user.Id.ToString("D"), secret));
        Code = null;
    }

    private byte[]? ReadEnrolment(LatchkeyUser user)
    {
        if (string.IsNullOrEmpty(Enrolment) || Enrolment.Length > 2048)
        {
            return null;
        }

        try
        {
            var parts = Protector(user).Unprotect(Enrolment).Split(':', 2);
            var expiresAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
            var secret = Convert.FromBase64String(parts[1]);
            return expiresAt > time.GetUtcNow() && secret.Length == TotpCodes.SecretBytes ? secret : null;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            return null;
        }
    }

    // Bound to the user: a form field copied from another account does not decrypt here. The expiry is inside the payload and
    // judged with TimeProvider (the time-limited protector reads the system clock).
    private IDataProtector Protector(LatchkeyUser user) => dataProtection.CreateProtector(EnrolmentPurpose, user.Id.ToString("N"));
}
