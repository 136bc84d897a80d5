namespace Latchkey.Server.Accounts;

/// <summary>Role names shared by pages, the CLI and the admin area.</summary>
public static class LatchkeyRoles
{
    /// <summary>Server administrators: manage users, consumers and keys.</summary>
    public const string Admin = "admin";
}
