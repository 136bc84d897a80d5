using Latchkey.Server.Sessions;

namespace Latchkey.Server.Pages.Account.Sessions;

/// <summary>The session table shared by the user's and the administrator's pages; <see cref="UserName"/> is set on the admin page.</summary>
public sealed record SessionTableModel(IReadOnlyList<SessionView> Sessions, string? UserName);
