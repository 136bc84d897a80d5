using Latchkey.Server.Accounts;
using Latchkey.Server.Audit;
using Latchkey.Server.Sessions;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Server.Pages.Admin;

/// <summary>A user as the admin list shows it.</summary>
public sealed record UserRow(
    string UserName,
    string Email,
    string FullName,
    bool IsActive,
    bool IsAdmin,
    bool IsLockedOut,
    DateTimeOffset CreatedAt);

/// <summary>The fields an administrator fills in to create a user.</summary>
public sealed record NewUser(string UserName, string Email, string FirstName, string LastName, bool IsAdmin);

/// <summary>Outcome of an admin change: failures carry a message that is safe to show an administrator.</summary>
public sealed record AdminResult(bool Succeeded, string? Error)
{
    public static AdminResult Ok { get; } = new(true, null);

    public static AdminResult Fail(string error) => new(false, error);

    public static AdminResult UnknownUser(string userName) => new(false, $"No user named '{userName}'.");

    public static AdminResult From(IdentityResult result) =>
        result.Succeeded ? Ok : Fail(string.Join(" ", result.Errors.Select(e => e.Description)));
}

/// <summary>
/// User changes shared by the <c>latchkey users</c> commands and the <c>/admin/users</c> pages, all
/// through Identity's <see cref="UserManager{TUser}"/> so its validators and security stamps apply.
/// </summary>
public sealed class UserAdministration(
    UserManager<LatchkeyUser> users,
    RoleManager<IdentityRole<Guid>> roles,
    LatchkeyDbContext db,
    TimeProvider time,
    UserSessionRevoker? revoker = null,
    IAuditLog? audit = null)
{
    public static UserAdministration From(IServiceProvider services) => new(
        services.GetRequiredService<UserManager<LatchkeyUser>>(),
        services.GetRequiredService<RoleManager<IdentityRole<Guid>>>(),
        services.GetRequiredService<LatchkeyDbContext>(),
        services.GetService<TimeProvider>() ?? TimeProvider.System,
        services.GetService<UserSessionRevoker>(),
        services.GetService<IAuditLog>());

    public async Task<IReadOnlyList<UserRow>> ListAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var admins = (await users.GetUsersInRoleAsync(LatchkeyRoles.Admin)).Select(u => u.Id).ToHashSet();
        var all = await users.Users.AsNoTracking().ToListAsync(ct);
        return all
            .OrderBy(u => u.UserName, StringComparer.Ordinal)
            .Select(u => new UserRow(
                u.UserName ?? "",
                u.Email ?? "",
                $"{u.FirstName} {u.LastName}".Trim(),
                u.IsActive,
                admins.Contains(u.Id),
                u.LockoutEnd is { } end && end > now,
                u.CreatedAt))
            .ToList();
    }

    public async Task<AdminResult> CreateAsync(NewUser request, string password, CancellationToken ct)
    {
        // The column limits; PostgreSQL would reject longer values with an exception, SQLite would not.
        if (request.UserName.Trim().Length > 256 || request.Email.Trim().Length > 256)
        {
            return AdminResult.Fail("Username and email can be at most 256 characters.");
        }

        // Identity checks the address only when emails must be unique, which Latchkey does not require.
        if (!new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(request.Email.Trim()) || request.Email.Trim().Length == 0)
        {
            return AdminResult.Fail($"'{request.Email}' is not an email address.");
        }

        if (request.FirstName.Trim().Length > 150 || request.LastName.Trim().Length > 150)
        {
            return AdminResult.Fail("First and last name can be at most 150 characters.");
        }

        var user = new LatchkeyUser
        {
            UserName = request.UserName.Trim(),
            Email = request.Email.Trim(),
            // The administrator vouches for the address; nothing else would ever confirm it.
            EmailConfirmed = true,
            FirstName = request.FirstName.Trim(),
            LastName = request.LastName.Trim(),
            IsActive = true,
            CreatedAt = time.GetUtcNow(),
        };

        // The user and the role grant land together or not at all.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return AdminResult.From(created);
        }

        if (request.IsAdmin)
        {
            var granted = await GrantAdminAsync(user);
            if (!granted.Succeeded)
            {
                return granted;
            }
        }

        await transaction.CommitAsync(ct);
        await AuditAsync(AuditEvents.AdminUserCreated, user, request.IsAdmin ? new() { ["admin"] = "true" } : null);
        return AdminResult.Ok;
    }

    /// <summary>Disabling also renews the security stamp so existing sign-ins stop being accepted.</summary>
    public async Task<AdminResult> SetActiveAsync(string userName, bool active)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            return AdminResult.UnknownUser(userName);
        }

        user.IsActive = active;
        var result = AdminResult.From(active ? await users.UpdateAsync(user) : await users.UpdateSecurityStampAsync(user));
        if (result.Succeeded && !active)
        {
            await EndSessionsAsync(user, SsoSessionEndReasons.UserDisabled);
        }

        if (result.Succeeded)
        {
            await AuditAsync(active ? AuditEvents.AdminUserEnabled : AuditEvents.AdminUserDisabled, user, null);
        }

        return result;
    }

    public async Task<AdminResult> SetAdminAsync(string userName, bool admin)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            return AdminResult.UnknownUser(userName);
        }

        var isAdmin = await users.IsInRoleAsync(user, LatchkeyRoles.Admin);
        if (isAdmin == admin)
        {
            return AdminResult.Ok;
        }

        AdminResult changed;
        if (admin)
        {
            changed = await GrantAdminAsync(user);
        }
        else
        {
            var removed = await users.RemoveFromRoleAsync(user, LatchkeyRoles.Admin);
            changed = removed.Succeeded ? AdminResult.From(await users.UpdateSecurityStampAsync(user)) : AdminResult.From(removed);
        }

        if (changed.Succeeded)
        {
            await AuditAsync(admin ? AuditEvents.AdminUserRoleGranted : AuditEvents.AdminUserRoleRevoked, user, new() { ["role"] = LatchkeyRoles.Admin });
        }

        return changed;
    }

    /// <summary>
    /// Validates, hashes and stores the new password in one update and renews the security stamp,
    /// so other sessions of the user end. (Remove-then-add would leave no password if the add failed.)
    /// </summary>
    public async Task<AdminResult> SetPasswordAsync(string userName, string password)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            return AdminResult.UnknownUser(userName);
        }

        var errors = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, user, password);
            errors.AddRange(result.Errors);
        }

        if (errors.Count > 0)
        {
            return AdminResult.From(IdentityResult.Failed([.. errors]));
        }

        user.PasswordHash = users.PasswordHasher.HashPassword(user, password);
        var updated = AdminResult.From(await users.UpdateSecurityStampAsync(user));
        if (updated.Succeeded)
        {
            await EndSessionsAsync(user, SsoSessionEndReasons.PasswordChanged);
            await AuditAsync(AuditEvents.AdminUserPasswordSet, user, null);
        }

        return updated;
    }

    // Ends every session (with single logout) and revokes the user's OIDC tokens. Hosts without sessions
    // registered (none today) skip this; the security stamp still ends cookies within a minute.
    private async Task EndSessionsAsync(LatchkeyUser user, string reason)
    {
        if (revoker is not null)
        {
            await revoker.RevokeAllAsync(user.Id, reason, exceptSessionId: null, CancellationToken.None);
        }
    }

    public async Task<AdminResult> UnlockAsync(string userName)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            return AdminResult.UnknownUser(userName);
        }

        user.LockoutEnd = null;
        user.AccessFailedCount = 0;
        var unlocked = AdminResult.From(await users.UpdateAsync(user));
        if (unlocked.Succeeded)
        {
            await AuditAsync(AuditEvents.AdminUserUnlocked, user, null);
        }

        return unlocked;
    }

    private Task AuditAsync(string eventName, LatchkeyUser user, Dictionary<string, string>? details) =>
        audit?.AppendAsync(new AuditRecord(eventName, AuditOutcome.Success) { SubjectId = user.Id, SubjectName = user.UserName, Details = details })
        ?? Task.CompletedTask;

    private async Task<AdminResult> GrantAdminAsync(LatchkeyUser user)
    {
        if (!await roles.RoleExistsAsync(LatchkeyRoles.Admin))
        {
            var role = await roles.CreateAsync(new IdentityRole<Guid>(LatchkeyRoles.Admin) { Id = Guid.NewGuid() });
            if (!role.Succeeded)
            {
                return AdminResult.From(role);
            }
        }

        return AdminResult.From(await users.AddToRoleAsync(user, LatchkeyRoles.Admin));
    }
}
