using Latchkey.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Scaling;

/// <summary>A malformed <c>Latchkey:Redis</c> stops startup; an unreachable one does not (see <see cref="LatchkeyRedisConnection"/>).</summary>
internal sealed class RedisOptionsValidator : IValidateOptions<LatchkeyOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
    {
        if (options.Redis is null)
        {
            return ValidateOptionsResult.Success;
        }

        if (string.IsNullOrWhiteSpace(options.Redis))
        {
            return ValidateOptionsResult.Fail("Latchkey:Redis is empty; remove it for a single node, or set a StackExchange.Redis connection string such as 'redis:6379,password=...'.");
        }

        try
        {
            LatchkeyRedisConnection.Configure(options.Redis);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            // The message names the offending option, never the password.
            return ValidateOptionsResult.Fail($"Latchkey:Redis is not a valid StackExchange.Redis connection string such as 'redis:6379,password=...': {e.Message}");
        }
    }
}
