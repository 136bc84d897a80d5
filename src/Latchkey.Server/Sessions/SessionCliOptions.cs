using System.CommandLine;
using Latchkey.Server.Sessions;

namespace Latchkey.Server.Cli;

/// <summary><c>--max-session-age</c> and <c>--backchannel-logout-url</c> on <c>consumers add/update</c>.</summary>
internal static class ConsumerSessionOptions
{
    public static (Option<string> MaxSessionAge, Option<string> BackChannelUrl) Add(Command command)
    {
        var maxSessionAge = new Option<string>("--max-session-age")
        {
            Description = "Users must have signed in within this long (e.g. 30m, 8h, 1d) for this app to get a login; 'none' removes the limit.",
        };
        var backChannelUrl = new Option<string>("--backchannel-logout-url")
        {
            Description = "Latchkey.Client.AspNetCore apps only: URL under a redirect origin that receives signed logout notices "
                + "(e.g. https://app.example/sso/backchannel-logout/); 'none' removes it. Never set it for django-simple-sso clients.",
        };
        command.Options.Add(maxSessionAge);
        command.Options.Add(backChannelUrl);
        return (maxSessionAge, backChannelUrl);
    }

    /// <summary>Applies the options given; returns a description of the change, or null when neither was given.</summary>
    public static async Task<string?> ApplyAsync(IServiceProvider services, string consumer, ParseResult parsed, Option<string> maxSessionAge, Option<string> backChannelUrl, CancellationToken ct)
    {
        var ageText = parsed.GetValue(maxSessionAge);
        var urlText = parsed.GetValue(backChannelUrl);
        if (ageText is null && urlText is null)
        {
            return null;
        }

        TimeSpan? age = null;
        if (ageText is not null)
        {
            age = string.Equals(ageText, "none", StringComparison.OrdinalIgnoreCase) ? TimeSpan.Zero
                : DurationParser.TryParse(ageText, out var parsedAge) && parsedAge > TimeSpan.Zero ? parsedAge
                : throw new CommandFailedException($"--max-session-age: '{ageText}' is not a duration such as 30m, 8h or 1d (or 'none').");
        }

        var url = urlText is null ? null : string.Equals(urlText, "none", StringComparison.OrdinalIgnoreCase) ? "" : urlText;
        try
        {
            if (!await services.GetRequiredService<AppSessionSettings>().SetConsumerAsync(consumer, age, url, ct))
            {
                throw new CommandFailedException($"no consumer named '{consumer}'.");
            }
        }
        catch (AppSessionSettingsException exception)
        {
            throw new CommandFailedException(exception.Message);
        }

        var changes = new List<string>();
        if (age is { } a)
        {
            changes.Add(a == TimeSpan.Zero ? "no maximum session age" : $"maximum session age {a}");
        }

        if (url is not null)
        {
            changes.Add(url.Length == 0 ? "no back-channel logout URL" : $"back-channel logout URL {url}");
        }

        return string.Join(", ", changes);
    }
}

/// <summary><c>--max-session-age</c> on <c>clients update</c>.</summary>
internal static class ClientSessionOptions
{
    public static Option<string> Add(Command command)
    {
        var maxSessionAge = new Option<string>("--max-session-age")
        {
            Description = "Users must have signed in within this long (e.g. 30m, 8h, 1d) for this client to get a code; 'none' removes the limit.",
        };
        command.Options.Add(maxSessionAge);
        return maxSessionAge;
    }

    /// <summary>Applies the option when given; returns a description of the change, or null when it was not given.</summary>
    public static async Task<string?> ApplyAsync(IServiceProvider services, string clientId, ParseResult parsed, Option<string> maxSessionAge, CancellationToken ct)
    {
        if (parsed.GetValue(maxSessionAge) is not { } text)
        {
            return null;
        }

        var age = string.Equals(text, "none", StringComparison.OrdinalIgnoreCase) ? TimeSpan.Zero
            : DurationParser.TryParse(text, out var parsedAge) && parsedAge > TimeSpan.Zero ? parsedAge
            : throw new CommandFailedException($"--max-session-age: '{text}' is not a duration such as 30m, 8h or 1d (or 'none').");
        try
        {
            if (!await services.GetRequiredService<AppSessionSettings>().SetClientMaxSessionAgeAsync(clientId, age, ct))
            {
                throw new CommandFailedException($"no client with client_id '{clientId}'.");
            }
        }
        catch (AppSessionSettingsException exception)
        {
            throw new CommandFailedException(exception.Message);
        }

        return age == TimeSpan.Zero ? "no maximum session age" : $"maximum session age {age}";
    }
}
