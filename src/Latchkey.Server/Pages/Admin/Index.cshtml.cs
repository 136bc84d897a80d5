using Latchkey.Server.Consumers;

namespace Latchkey.Server.Pages.Admin;

public sealed class IndexModel(ConsumerRegistry consumers) : AdminPageModel
{
    public int UserCount { get; private set; }

    public int ActiveUserCount { get; private set; }

    public int AdminCount { get; private set; }

    public int LockedOutCount { get; private set; }

    public int ConsumerCount { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var users = await UserAdmin.ListAsync(ct);
        UserCount = users.Count;
        ActiveUserCount = users.Count(u => u.IsActive);
        AdminCount = users.Count(u => u.IsAdmin);
        LockedOutCount = users.Count(u => u.IsLockedOut);
        ConsumerCount = (await consumers.ListAsync(ct)).Count;
    }
}
