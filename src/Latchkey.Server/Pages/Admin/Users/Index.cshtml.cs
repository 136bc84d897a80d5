using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Users;

public sealed class IndexModel : AdminPageModel
{
    public IReadOnlyList<UserRow> Users { get; private set; } = [];

    [BindProperty]
    public CreateUserInput Input { get; set; } = new();

    public async Task OnGetAsync(CancellationToken ct) => Users = await UserAdmin.ListAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            var request = new NewUser(Input.UserName!, Input.Email!, Input.FirstName ?? "", Input.LastName ?? "", Input.IsAdmin);
            var result = await UserAdmin.CreateAsync(request, Input.Password!, ct);
            if (result.Succeeded)
            {
                StatusMessage = $"Created user '{request.UserName}'.";
                return RedirectToPage();
            }

            ModelState.AddModelError(string.Empty, result.Error!);
        }

        Users = await UserAdmin.ListAsync(ct);
        return Page();
    }

    public Task<IActionResult> OnPostDisableAsync(string userName) =>
        ChangeAsync(userName, "disabled", refuseSelf: true, () => UserAdmin.SetActiveAsync(userName, active: false));

    public Task<IActionResult> OnPostEnableAsync(string userName) =>
        ChangeAsync(userName, "enabled", refuseSelf: false, () => UserAdmin.SetActiveAsync(userName, active: true));

    public Task<IActionResult> OnPostGrantAdminAsync(string userName) =>
        ChangeAsync(userName, "made an admin", refuseSelf: false, () => UserAdmin.SetAdminAsync(userName, admin: true));

    public Task<IActionResult> OnPostRevokeAdminAsync(string userName) =>
        ChangeAsync(userName, "no longer an admin", refuseSelf: true, () => UserAdmin.SetAdminAsync(userName, admin: false));

    public Task<IActionResult> OnPostUnlockAsync(string userName) =>
        ChangeAsync(userName, "unlocked", refuseSelf: false, () => UserAdmin.UnlockAsync(userName));

    private async Task<IActionResult> ChangeAsync(string userName, string outcome, bool refuseSelf, Func<Task<AdminResult>> change)
    {
        // Disabling or demoting yourself could leave nobody able to administer the server.
        if (refuseSelf && string.Equals(userName, User.Identity?.Name, StringComparison.OrdinalIgnoreCase))
        {
            StatusMessage = "You cannot do that to your own account.";
            return RedirectToPage();
        }

        var result = string.IsNullOrEmpty(userName) ? AdminResult.Fail("No user given.") : await change();
        StatusMessage = result.Succeeded ? $"User '{userName}' {outcome}." : result.Error;
        return RedirectToPage();
    }
}

public sealed class CreateUserInput
{
    [Required]
    [StringLength(256)]
    [Display(Name = "Username")]
    public string? UserName { get; set; }

    [Required]
    [EmailAddress]
    [StringLength(256)]
    public string? Email { get; set; }

    [StringLength(150)]
    [Display(Name = "First name")]
    public string? FirstName { get; set; }

    [StringLength(150)]
    [Display(Name = "Last name")]
    public string? LastName { get; set; }

    [Required]
    [DataType(DataType.Password)]
    public string? Password { get; set; }

    [Display(Name = "Administrator")]
    public bool IsAdmin { get; set; }
}
