using Latchkey.Server.Accounts.Mfa;
using Latchkey.Server.Accounts.Passkeys;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Server.Pages.Account;

/// <summary>The signed-in user's account hub: profile summary, e-mail state, factors and links to every self-service page.</summary>
[Authorize]
public sealed class IndexModel(UserManager<LatchkeyUser> users, RecoveryCodes recoveryCodes, PasskeyCredentials passkeys) : PageModel
{
    public LatchkeyUser Account { get; private set; } = null!;

    public int RecoveryCodesLeft { get; private set; }

    public int Passkeys { get; private set; }

    public bool TwoFactorEnabled { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await users.GetUserAsync(User) is not { } user)
        {
            return Challenge();
        }

        Account = user;
        RecoveryCodesLeft = await recoveryCodes.CountRemainingAsync(user.Id, HttpContext.RequestAborted);
        Passkeys = await passkeys.CountAsync(user.Id, HttpContext.RequestAborted);
        TwoFactorEnabled = await users.GetTwoFactorEnabledAsync(user);
        return Page();
    }
}
