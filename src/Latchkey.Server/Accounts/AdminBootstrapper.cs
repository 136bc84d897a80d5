using System.Security.Cryptography;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts;

/// <summary>Where the one-time admin password goes: the console by default, a writer in tests.</summary>
public sealed class AdminBootstrapOutput(TextWriter writer)
{
    public TextWriter Writer { get; } = writer;
}

/// <summary>
/// Makes a fresh installation usable without a fixed default password: when no user has the
/// <c>admin</c> role, creates one with a random password and prints it once.
/// </summary>
public sealed class AdminBootstrapper(
    IServiceProvider services,
    IOptions<LatchkeyOptions> options,
    AdminBootstrapOutput output,
    TimeProvider timeProvider,
    ILogger<AdminBootstrapper> logger) : IHostedService
{
    private const string PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private const int GeneratedPasswordLength = 24;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await EnsureAdminRoleAsync();

        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<LatchkeyUser>>();

        if ((await users.GetUsersInRoleAsync(LatchkeyRoles.Admin)).Count > 0)
        {
            return;
        }

        var bootstrap = options.Value.Bootstrap;
        if (await users.FindByNameAsync(bootstrap.AdminUsername) is not null)
        {
            // Promoting an existing account silently would hand admin rights to whoever owns it.
            logger.LogWarning("No administrator exists and user {UserName} already exists without the admin role; grant it with the latchkey CLI.", bootstrap.AdminUsername);
            return;
        }

        var generated = string.IsNullOrEmpty(bootstrap.AdminPassword);
        var password = generated ? RandomNumberGenerator.GetString(PasswordAlphabet, GeneratedPasswordLength) : bootstrap.AdminPassword!;
        var admin = new LatchkeyUser
        {
            UserName = bootstrap.AdminUsername,
            CreatedAt = timeProvider.GetUtcNow(),
            IsActive = true,
        };

        IdentityResult created;
        try
        {
            created = await users.CreateAsync(admin, password);
        }
        catch (DbUpdateException)
        {
            created = IdentityResult.Failed();
        }

        if (!created.Succeeded && await AnotherNodeIsBootstrappingAsync(bootstrap.AdminUsername))
        {
            // Several nodes started at once on a fresh database: the first one creates the administrator.
            logger.LogInformation("Another node is creating the first administrator '{UserName}'.", bootstrap.AdminUsername);
            return;
        }

        Check(created, $"create the administrator '{bootstrap.AdminUsername}'");
        Check(await users.AddToRoleAsync(admin, LatchkeyRoles.Admin), "grant the admin role");

        var writer = output.Writer;
        if (generated)
        {
            // Printed, never logged: logs are shipped and kept, the console is seen once by the installer.
            await writer.WriteLineAsync($"""

                ==================================================================
                 Latchkey created the first administrator.
                   username: {admin.UserName}
                   password: {password}
                 This password is shown only once. Change it with:
                   latchkey users set-password {admin.UserName} --password-stdin
                ==================================================================

                """);
        }
        else
        {
            await writer.WriteLineAsync($"Latchkey created the first administrator '{admin.UserName}' with the configured password.");
        }

        await writer.FlushAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Creates the admin role unless it exists; a node that loses the race to create it uses the winner's.</summary>
    private async Task EnsureAdminRoleAsync()
    {
        IdentityResult result;
        await using (var scope = services.CreateAsyncScope())
        {
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>();
            if (await roles.RoleExistsAsync(LatchkeyRoles.Admin))
            {
                return;
            }

            try
            {
                result = await roles.CreateAsync(new IdentityRole<Guid>(LatchkeyRoles.Admin));
            }
            catch (DbUpdateException)
            {
                result = IdentityResult.Failed();
            }
        }

        if (!result.Succeeded)
        {
            // A fresh scope: the failed insert stays tracked in the old one.
            await using var retry = services.CreateAsyncScope();
            if (!await retry.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>().RoleExistsAsync(LatchkeyRoles.Admin))
            {
                Check(result, "create the admin role");
            }
        }
    }

    private async Task<bool> AnotherNodeIsBootstrappingAsync(string userName)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<LatchkeyUser>>().FindByNameAsync(userName) is not null;
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}
