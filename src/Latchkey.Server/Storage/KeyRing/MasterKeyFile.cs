namespace Latchkey.Server.Storage.KeyRing;

/// <summary>The single-node default: the master key in a file beside, never inside, the database.</summary>
internal sealed class MasterKeyFile(string path, ILogger logger)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public MasterKey ReadOrCreate()
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            TryCreate();
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MasterKeyException(
                $"The master key file '{path}' cannot be read ({e.Message}). Fix its permissions, restore it from backup, "
                + $"or set {MasterKeyRingProvider.MasterKeySetting}.",
                e);
        }

        var key = MasterKey.TryParse(text)
            ?? throw new MasterKeyException(
                $"The master key file '{path}' does not hold base64 of exactly {MasterKey.SizeInBytes} bytes. Restore it from backup "
                + $"or set {MasterKeyRingProvider.MasterKeySetting}; without it the key ring in the database cannot be decrypted.");
        WarnIfOthersCanRead();
        return key;
    }

    private void TryCreate()
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            OwnerOnlyFiles.CreateDirectory(directory);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // Set at creation, so the key is never readable by others, not even for a moment.
                options.UnixCreateMode = OwnerOnly;
            }

            using (var writer = new StreamWriter(temporary, options))
            {
                writer.WriteLine(MasterKey.NewBase64());
            }

            // A rename cannot half-happen: a second process starting at the same moment either wins
            // (and this one reads its key) or sees the complete file, never an empty one.
            File.Move(temporary, path, overwrite: false);
            logger.LogInformation(
                "Created the Data Protection master key file {Path} (mode 0600). Back it up separately from the database; "
                + "for several nodes, give all of them the same key through {Setting}.",
                path,
                MasterKeyRingProvider.MasterKeySetting);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first; use theirs.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MasterKeyException($"The master key file '{path}' cannot be created ({e.Message}).", e);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private void WarnIfOthersCanRead()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            logger.LogWarning("The master key file {Path} is accessible to other users; restrict it with 'chmod 600'.", path);
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stray temporary file holds a key nobody uses; not worth failing startup for.
        }
    }
}
