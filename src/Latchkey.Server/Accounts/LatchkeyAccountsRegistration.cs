using Latchkey.Server.Accounts.Lockout;
using Latchkey.Server.Accounts.PasswordPolicy;
using Latchkey.Server.Accounts.Recovery;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>ASP.NET Core Identity with Latchkey's password, lockout and cookie policy.</summary>
public static class LatchkeyAccountsRegistration
{
    public static IServiceCollection AddLatchkeyAccounts(this IServiceCollection services)
    {
        services.AddIdentity<LatchkeyUser, IdentityRole<Guid>>(options =>
            {
                // All password rules live in LatchkeyPasswordValidator (NIST SP 800-63B: length and a blocklist, no composition rules).
                options.Password.RequiredLength = 1;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 1;

                options.Lockout.AllowedForNewUsers = true;

                options.User.RequireUniqueEmail = false;
                options.SignIn.RequireConfirmedAccount = false;
                options.SignIn.RequireConfirmedEmail = false;
            })
            .AddEntityFrameworkStores<LatchkeyDbContext>()
            .AddDefaultTokenProviders()
            .AddUserManager<LatchkeyUserManager>()
            .AddSignInManager<LatchkeySignInManager>();

        // Identity's own length check would answer in UTF-16 units and twice; ours counts characters and explains itself.
        services.RemoveAll<IPasswordValidator<LatchkeyUser>>();
        services.AddScoped<IPasswordValidator<LatchkeyUser>, LatchkeyPasswordValidator>();
        services.TryAddSingleton<CommonPasswordList>();
        services.AddScoped<AccountLockout>();
        services.AddScoped<AccountLinkTokens>();
        services.AddScoped<AccountMails>();
        services.TryAddSingleton<AccountMailQueue>();
        services.AddHostedService<AccountMailSender>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, AccountSecurityOptionsValidator>());

        services.AddOptions<IdentityOptions>()
            .Configure<IOptions<LatchkeyOptions>>((identity, latchkey) =>
            {
                // Identity reads these where it counts failures itself; the escalation is AccountLockout's.
                identity.Lockout.MaxFailedAccessAttempts = latchkey.Value.Accounts.Lockout.MaxFailedAttempts;
                identity.Lockout.DefaultLockoutTimeSpan = latchkey.Value.Accounts.Lockout.BaseDuration;
            });

        services.AddOptions<PasswordHasherOptions>()
            .Configure<IOptions<LatchkeyOptions>>((hasher, latchkey) =>
            {
                hasher.CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3;
                hasher.IterationCount = latchkey.Value.Accounts.PasswordHashIterations;
            });

        // A disabled user or a changed password should end sessions within a minute, not the default 30.
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));

        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "latchkey.session";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = "/account/login";
            cookie.LogoutPath = "/account/logout";
            cookie.AccessDeniedPath = "/account/denied";
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
        });

        services.AddSingleton<LoginTimingEqualizer>();
        return services;
    }
}
