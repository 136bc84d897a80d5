using System.Text.Encodings.Web;
using System.Text.Json;

namespace Latchkey.SimpleSso;

/// <summary>JSON settings shared by every simple-sso payload.</summary>
public static class SimpleSsoJson
{
    /// <summary>
    /// Compact, ASCII-only output (non-ASCII escaped as <c>\uXXXX</c>, as Python's <c>json.dumps</c> does),
    /// strict input.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        Encoder = JavaScriptEncoder.Default,
        MaxDepth = 16,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };
}
