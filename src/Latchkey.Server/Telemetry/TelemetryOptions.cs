using System.Net;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Telemetry;

/// <summary><c>Latchkey:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Latchkey:Telemetry";

    /// <summary>OTLP collector (e.g. <c>http://otel-collector:4317</c>); traces and metrics are exported there when set.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Serve Prometheus metrics at <c>/metrics</c>.</summary>
    public bool PrometheusEnabled { get; set; } = true;

    /// <summary>
    /// Client addresses allowed to scrape <c>/metrics</c>: single IPs or CIDR ranges. Empty (the default) means
    /// loopback only (<c>127.0.0.0/8</c>, <c>::1</c>); a default list here would be appended to, not replaced, by configuration.
    /// Others get 404, so the endpoint's existence is not advertised. The address is the connection's,
    /// or the forwarded one when <c>Latchkey:ForwardedHeaders</c> trusts the proxy.
    /// </summary>
    public List<string> MetricsAllowedNetworks { get; set; } = [];

    internal IReadOnlyList<IPNetwork> ParsedNetworks() =>
        MetricsAllowedNetworks.Count == 0
            ? [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")]
            : MetricsAllowedNetworks.Select(n => TelemetryOptionsValidator.TryParseNetwork(n, out var network) ? network : default).ToList();
}

/// <summary><c>Latchkey:Logging</c>.</summary>
public sealed class LoggingFormatOptions
{
    public const string SectionName = "Latchkey:Logging";

    /// <summary><c>simple</c> (default, human-readable) or <c>json</c> (one JSON object per line, for log shippers).</summary>
    public string Format { get; set; } = "simple";
}

internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        if (options.OtlpEndpoint is { Length: > 0 } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"Latchkey:Telemetry:OtlpEndpoint must be an absolute http(s) URL, not '{endpoint}'.");
        }

        foreach (var network in options.MetricsAllowedNetworks)
        {
            if (!TryParseNetwork(network, out _))
            {
                failures.Add($"Latchkey:Telemetry:MetricsAllowedNetworks: '{network}' is neither an IP address nor a CIDR range.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}

internal sealed class LoggingFormatOptionsValidator : IValidateOptions<LoggingFormatOptions>
{
    public ValidateOptionsResult Validate(string? name, LoggingFormatOptions options) =>
        options.Format.Trim().ToLowerInvariant() is "simple" or "json"
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Latchkey:Logging:Format must be 'simple' or 'json', not '{options.Format}'.");
}
