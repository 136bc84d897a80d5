using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Hosting;

/// <summary>The data directory and SQLite files hold password hashes and sessions: owner-only on Unix.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataFilePermissionsTests
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task A_data_directory_created_by_Latchkey_and_its_database_are_owner_only()
    {
        SkipOnWindows();
        await using var factory = new LatchkeyServerFactory();
        // A directory that does not exist yet, inside the fixture's (which is deleted on dispose).
        var dataDirectory = Path.Combine(factory.DataDirectory, "fresh");
        factory.WithSetting("Latchkey:DataDirectory", dataDirectory);

        _ = factory.Server;

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDirectory));
        var database = Path.Combine(dataDirectory, "latchkey.db");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database));
        foreach (var file in new[] { database + "-wal", database + "-shm" }.Where(File.Exists))
        {
            Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(file) & GroupOrOther);
        }
    }

    [Fact]
    public async Task A_world_readable_database_is_restricted_at_the_next_start()
    {
        SkipOnWindows();
        await using var first = new LatchkeyServerFactory();
        _ = first.Server;
        var worldReadable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(first.SqliteFilePath, worldReadable);
        var existingDirectoryMode = File.GetUnixFileMode(first.DataDirectory);

        await using var restarted = new LatchkeyServerFactory(sharesStorageWith: first);
        _ = restarted.Server;

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.SqliteFilePath));
        // An existing directory is the operator's choice.
        Assert.Equal(existingDirectoryMode, File.GetUnixFileMode(first.DataDirectory));
    }

    private static void SkipOnWindows()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only.");
        }
    }
}
