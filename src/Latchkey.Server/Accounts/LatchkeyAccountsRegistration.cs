using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>ASP.NET Core Identity with Latchkey's password, lockout and cookie policy.</summary>
public static class LatchkeyAccountsRegistration
{
    public static IServiceCollection AddLatchkeyAccounts(this IServiceCollection services)
    {
        services.AddIdentity<LatchkeyUser, IdentityRole<Guid>>(options =>
            {
                // Length matters; composition rules push users to predictable patterns (NIST SP 800-63B).
                options.Password.RequiredLength = 8;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 1;

                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Lockout.AllowedForNewUsers = true;

                options.User.RequireUniqueEmail = false;
                options.SignIn.RequireConfirmedAccount = false;
                options.SignIn.RequireConfirmedEmail = false;
            })
            .AddEntityFrameworkStores<LatchkeyDbContext>()
            .AddDefaultTokenProviders()
            .AddSignInManager<LatchkeySignInManager>();

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
