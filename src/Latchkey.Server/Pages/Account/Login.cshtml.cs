using Latchkey.Server.Accounts;
using Latchkey.Server.Hosting;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Pages.Account;

/// <summary>
/// Username/password sign-in. Every failure (unknown user, wrong password, locked out, disabled) gets
/// the same message and costs one hash verification, so the page does not reveal which it was.
/// </summary>
[AllowAnonymous]
[PermitCrossOriginFormRedirects]
public sealed class LoginModel(
    LatchkeySignInManager signInManager,
    UserManager<LatchkeyUser> userManager,
    LoginTimingEqualizer timingEqualizer,
    LatchkeySignIn signIn,
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

    public string? ErrorMessage { get; private set; }

    public IActionResult OnGet()
    {
        ReturnUrl = SafeReturnUrl(ReturnUrl);
        Username ??= LoginHint is { Length: <= 256 } hint ? hint : null;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
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
                await signIn.SignInAsync(user, ["pwd"], isPersistent: false);
                logger.LogInformation("User {UserId} signed in.", user.Id);
                return Redirect(SafeReturnUrl(ReturnUrl));
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

        logger.LogInformation("Sign-in failed for user {UserId}: {Reason}.", user.Id,
            result.IsLockedOut ? "locked out" : result.IsNotAllowed ? "not allowed" : result.RequiresTwoFactor ? "two-factor required" : "wrong password");
        return Fail();
    }

    private PageResult Fail()
    {
        ErrorMessage = InvalidCredentialsMessage;
        ReturnUrl = SafeReturnUrl(ReturnUrl);
        return Page();
    }

    private string SafeReturnUrl(string? returnUrl) => ReturnUrls.IsSafe(Url, returnUrl) ? returnUrl : "/";
}
