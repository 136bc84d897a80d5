namespace Latchkey.Server.Storage;

/// <summary>
/// Keeps the data directory and the SQLite database private to the account Latchkey runs as: they hold
/// password hashes, sessions and the encrypted key ring. No-ops on Windows, where ACLs are inherited.
/// </summary>
public static class OwnerOnlyFiles
{
    public const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="path"/> with mode 0700 when missing; an existing directory is the operator's choice and left alone.</summary>
    public static void CreateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, PrivateDirectoryMode);
        }
    }

    /// <summary>Sets <paramref name="file"/> to mode 0600 if group or others have any access.</summary>
    /// <returns>Whether the mode was changed (false when the file is missing or already private).</returns>
    public static bool Restrict(string file)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(file))
        {
            return false;
        }

        if ((File.GetUnixFileMode(file) & GroupOrOther) == 0)
        {
            return false;
        }

        File.SetUnixFileMode(file, PrivateFileMode);
        return true;
    }
}
