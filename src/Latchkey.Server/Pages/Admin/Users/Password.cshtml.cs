using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Admin.Users;

public sealed class PasswordModel : AdminPageModel
{
    [BindProperty(SupportsGet = true)]
    public string? UserName { get; set; }

    [BindProperty]
    [Required]
    [DataType(DataType.Password)]
    [Display(Name = "New password")]
    public string? NewPassword { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrEmpty(UserName))
        {
            return RedirectToPage("/Admin/Users/Index");
        }

        if (ModelState.IsValid)
        {
            var result = await UserAdmin.SetPasswordAsync(UserName, NewPassword!);
            if (result.Succeeded)
            {
                StatusMessage = $"Password of '{UserName}' changed.";
                return RedirectToPage("/Admin/Users/Index");
            }

            ModelState.AddModelError(string.Empty, result.Error!);
        }

        return Page();
    }
}
