using System.Reflection;

namespace Latchkey.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Finds the repository and the build outputs the tests run as processes. The outputs come from the
/// same build configuration as this test assembly, because <c>dotnet test</c> built them together.
/// </summary>
internal static class RepositoryLayout
{
    private const string SolutionFileName = "Latchkey.slnx";

    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } =
        typeof(RepositoryLayout).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } configuration
            ? configuration
            : "Debug";

    public static string ServerDll => BuildOutput(Path.Combine("src", "Latchkey.Server"), "latchkey.dll");

    public static string SampleWebAppDll => BuildOutput(Path.Combine("samples", "Latchkey.Samples.WebApp"), "Latchkey.Samples.WebApp.dll");

    public static string PythonPeerScript => Path.Combine(Root, "tests", "peers", "python", "simple_sso_client.py");

    private static string BuildOutput(string projectDirectory, string fileName)
    {
        var path = Path.Combine(Root, projectDirectory, "bin", Configuration, "net10.0", fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Build output '{path}' is missing; build the solution ({SolutionFileName}) in {Configuration} first.", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFileName} above {AppContext.BaseDirectory}.");
    }
}
