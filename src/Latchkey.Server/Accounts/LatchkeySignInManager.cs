using System.Security.Claims;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>Identity's sign-in manager, plus: a disabled user (<see cref="LatchkeyUser.IsActive"/> false) can neither sign in nor keep a session.</summary>
public sealed class LatchkeySignInManager(
    UserManager<LatchkeyUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<LatchkeyUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<LatchkeyUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<LatchkeyUser> confirmation)
    : SignInManager<LatchkeyUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(LatchkeyUser user) => user.IsActive && await base.CanSignInAsync(user);

    // Runs at every security-stamp validation interval, so disabling a user ends their existing cookies too.
    public override async Task<LatchkeyUser?> ValidateSecurityStampAsync(ClaimsPrincipal? principal)
    {
        var user = await base.ValidateSecurityStampAsync(principal);
        return user is { IsActive: true } ? user : null;
    }
}
