using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Latchkey.Server.Tests.Oidc;

/// <summary>
/// The discovery document is a public contract: every relying party configures itself from it. It is
/// compared with <c>Golden/discovery.json</c> so that no change to it (a grant type appearing, PKCE
/// methods, logout support flags) goes unnoticed; changing it takes a deliberate update of the file.
/// </summary>
public sealed class DiscoveryGoldenTests
{
    public const string UpdateVariable = "LATCHKEY_UPDATE_GOLDEN";
    private const string Issuer = "https://latchkey.test/";

    [Fact]
    public async Task Discovery_document_matches_the_golden_file()
    {
        var actual = Normalise(await FetchDiscoveryAsync());
        var goldenPath = GoldenPath("discovery.json");

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(goldenPath, actual, TestContext.Current.CancellationToken);
            TestContext.Current.SendDiagnosticMessage($"{UpdateVariable}=1: rewrote {goldenPath}");
            return;
        }

        Assert.True(File.Exists(goldenPath), $"{goldenPath} is missing. {UpdateHint(goldenPath)}");
        var expected = Normalise(await File.ReadAllTextAsync(goldenPath, TestContext.Current.CancellationToken));
        if (expected != actual)
        {
            Assert.Fail(
                "The discovery document differs from the golden file (- golden, + served):\n"
                + LineDiff.Format(expected, actual) + "\n" + UpdateHint(goldenPath));
        }
    }

    [Fact]
    public void Normalisation_ignores_key_order_but_not_values()
    {
        // Guards the comparison itself: reordering is not a change, a changed value is.
        const string a = """{"b":["y","x"],"a":{"d":1,"c":true}}""";
        const string b = """{"a":{"c":true,"d":1},"b":["x","y"]}""";
        const string c = """{"a":{"c":false,"d":1},"b":["x","y"]}""";

        Assert.Equal(Normalise(a), Normalise(b));
        Assert.NotEqual(Normalise(a), Normalise(c));
        var diff = LineDiff.Format(Normalise(a), Normalise(c)).Split('\n');
        Assert.Contains(diff, line => line.StartsWith("- ", StringComparison.Ordinal) && line.Contains("\"c\": true", StringComparison.Ordinal));
        Assert.Contains(diff, line => line.StartsWith("+ ", StringComparison.Ordinal) && line.Contains("\"c\": false", StringComparison.Ordinal));
        Assert.DoesNotContain(diff, line => line.StartsWith("+ ", StringComparison.Ordinal) && line.Contains("\"d\"", StringComparison.Ordinal));
    }

    private static async Task<string> FetchDiscoveryAsync()
    {
        await using var factory = new LatchkeyServerFactory().WithSetting("Latchkey:Oidc:Issuer", Issuer);
        // Requested as the public host the issuer names, over https, so the server keeps its production
        // transport-security requirement. (OpenIddict builds endpoint URLs from the request's host, not
        // from the issuer setting, so this also keeps the endpoints on the issuer's host, as a proxy would.)
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri(Issuer),
            AllowAutoRedirect = false,
        });

        using var response = await client.GetAsync(".well-known/openid-configuration", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"discovery answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    /// <summary>Indented JSON with object keys sorted (ordinal) and string arrays sorted: order carries no meaning here.</summary>
    internal static string Normalise(string json) =>
        Sort(JsonNode.Parse(json))!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => KeyValuePair.Create(pair.Key, Sort(pair.Value)))),
        JsonArray array when array.All(item => item is JsonValue value && value.GetValueKind() == JsonValueKind.String) =>
            new JsonArray(array.Select(item => item!.GetValue<string>()).Order(StringComparer.Ordinal).Select(item => (JsonNode?)JsonValue.Create(item)).ToArray()),
        JsonArray array => new JsonArray(array.Select(Sort).ToArray()),
        _ => node?.DeepClone(),
    };

    private static string UpdateHint(string goldenPath) =>
        $"If the change is intended, regenerate the file and review the diff before committing:\n"
        + $"  {UpdateVariable}=1 dotnet test tests/Latchkey.Server.Tests --filter FullyQualifiedName~DiscoveryGoldenTests\n"
        + $"  git diff {Path.GetRelativePath(RepositoryRoot(), goldenPath)}";

    private static string GoldenPath(string fileName) =>
        Path.Combine(RepositoryRoot(), "tests", "Latchkey.Server.Tests", "Oidc", "Golden", fileName);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Latchkey.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Latchkey.slnx above {AppContext.BaseDirectory}.");
    }

    /// <summary>A minimal line diff (longest common subsequence) for readable golden-file failures.</summary>
    private static class LineDiff
    {
        private const int Context = 2;

        public static string Format(string expected, string actual)
        {
            var a = expected.TrimEnd('\n').Split('\n');
            var b = actual.TrimEnd('\n').Split('\n');
            var lcs = new int[a.Length + 1, b.Length + 1];
            for (var i = a.Length - 1; i >= 0; i--)
            {
                for (var j = b.Length - 1; j >= 0; j--)
                {
                    lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
                }
            }

            var lines = new List<(char Kind, string Text)>();
            int x = 0, y = 0;
            while (x < a.Length || y < b.Length)
            {
                if (x < a.Length && y < b.Length && a[x] == b[y])
                {
                    lines.Add((' ', a[x]));
                    x++;
                    y++;
                }
                else if (y < b.Length && (x == a.Length || lcs[x, y + 1] > lcs[x + 1, y]))
                {
                    lines.Add(('+', b[y++]));
                }
                else
                {
                    lines.Add(('-', a[x++]));
                }
            }

            // Changed lines with two lines of context on each side; long unchanged runs elided.
            var output = new StringBuilder();
            var skipped = false;
            for (var i = 0; i < lines.Count; i++)
            {
                var nearChange = false;
                for (var j = Math.Max(0, i - Context); j <= Math.Min(lines.Count - 1, i + Context) && !nearChange; j++)
                {
                    nearChange = lines[j].Kind != ' ';
                }

                if (!nearChange)
                {
                    skipped = true;
                    continue;
                }

                if (skipped)
                {
                    output.AppendLine("  …");
                    skipped = false;
                }

                output.Append(lines[i].Kind).Append(' ').AppendLine(lines[i].Text);
            }

            return output.ToString();
        }
    }
}
