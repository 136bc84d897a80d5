using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Hosting.RateLimiting;

/// <summary>What a request counts against: a policy, the client's address and (when known) an account.</summary>
/// <param name="Policy">One of <see cref="RateLimitPolicies"/>.</param>
/// <param name="ClientKey">The connection's remote address (IPv6 by /64); forwarded headers count only when the operator enabled them.</param>
/// <param name="AccountKey">A hash of the normalised account identifier, or null when the request names none.</param>
public sealed record RateLimitTarget(string Policy, string ClientKey, string? AccountKey)
{
    public static RateLimitTarget? Of(HttpContext http) => http.Items.TryGetValue(typeof(RateLimitTarget), out var value) ? value as RateLimitTarget : null;
}

/// <summary>
/// Finds the rate-limit policy of a request and its account before the (synchronous) limiter runs: reading the posted form
/// and the sign-in cookies is asynchronous. Runs after routing (endpoint metadata) and before authentication, so the token
/// endpoint's client authentication (a password hash) is not spent on a request that is over its budget.
/// </summary>
public sealed class RateLimitTargetMiddleware(RequestDelegate next, IOptions<LatchkeyOptions> options)
{
    private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private readonly string _simpleSsoBase = options.Value.SimpleSso.BasePath;

    public async Task InvokeAsync(HttpContext http)
    {
        var policy = PolicyOf(http);
        if (policy is not null)
        {
            var form = await ReadFormAsync(http);
            var account = await AccountOfAsync(http, policy, form);
            http.Items[typeof(RateLimitTarget)] = new RateLimitTarget(policy, ClientKey(http.Connection.RemoteIpAddress), account is null ? null : Hash(policy, account));
            // The form as read above: touching Request.Form after a failed read would retry it synchronously.
            if (policy == RateLimitPolicies.Token && FormValue(form, "grant_type") == DeviceCodeGrant)
            {
                http.Items[DeviceCodeGrant] = true;
            }
        }

        await next(http);
    }

    /// <summary>Whether the request is a device-code poll (answered with RFC 8628 <c>slow_down</c> when limited).</summary>
    public static bool IsDeviceCodePoll(HttpContext http) => http.Items.ContainsKey(DeviceCodeGrant);

    private string? PolicyOf(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>() is { PolicyName: { } named } && RateLimitPolicies.All.Contains(named))
        {
            // Pages are limited on submission only; showing a form costs nothing worth limiting.
            return named == RateLimitPolicies.Token || HttpMethods.IsPost(http.Request.Method) ? named : null;
        }

        var path = http.Request.Path.Value ?? "";
        if (path.StartsWith(_simpleSsoBase, StringComparison.OrdinalIgnoreCase))
        {
            var rest = path[_simpleSsoBase.Length..].TrimEnd('/');
            return rest.Equals("request-token", StringComparison.OrdinalIgnoreCase) || rest.Equals("verify", StringComparison.OrdinalIgnoreCase)
                ? RateLimitPolicies.Token
                : null;
        }

        path = path.TrimEnd('/');
        if (path.Equals("/connect/token", StringComparison.OrdinalIgnoreCase) || path.Equals("/connect/device", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/connect/par", StringComparison.OrdinalIgnoreCase) || path.Equals("/connect/introspect", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/connect/revoke", StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitPolicies.Token;
        }

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return null;
        }

        if (path.Equals("/account/login", StringComparison.OrdinalIgnoreCase) || path.Equals("/device", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/account/password", StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitPolicies.Login;
        }

        if (path.StartsWith("/account/login/", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/account/mfa/verify", StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitPolicies.Mfa;
        }

        if (path.Equals("/account/forgot-password", StringComparison.OrdinalIgnoreCase) || path.Equals("/account/reset-password", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/account/confirm-email", StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitPolicies.PasswordReset;
        }

        return null;
    }

    private static async Task<string?> AccountOfAsync(HttpContext http, string policy, IFormCollection? form)
    {
        switch (policy)
        {
            case RateLimitPolicies.Token:
                if (http.Request.Headers["X-Services-Public-Key"] is { Count: > 0 } publicKey)
                {
                    return "sso:" + publicKey[0];
                }

                return FormValue(form, "client_id") ?? BasicAuthUser(http);

            case RateLimitPolicies.Mfa:
                return await SignedInUserAsync(http) ?? FormValue(form, "username");

            case RateLimitPolicies.Ceremony:
                // Passkey options post JSON and name nobody; registering one is done signed in.
                return await SignedInUserAsync(http);

            case RateLimitPolicies.PasswordReset:
                return FormValue(form, "email") ?? FormValue(form, "username") ?? await SignedInUserAsync(http);

            default:
                // The change-password form names no user: the signed-in one is the account.
                return FormValue(form, "username") ?? (http.Request.Path.StartsWithSegments("/account/password", StringComparison.OrdinalIgnoreCase) ? await SignedInUserAsync(http) : null);
        }
    }

    private static async Task<IFormCollection?> ReadFormAsync(HttpContext http)
    {
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.HasFormContentType)
        {
            return null;
        }

        try
        {
            // Buffered by the framework: the page or OpenIddict reads the same collection later.
            return await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            // The endpoint answers the malformed body itself; the request still counts per IP.
            return null;
        }
    }

    private static string? FormValue(IFormCollection? form, string name) =>
        form is not null && form.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0] : null;

    private static string? BasicAuthUser(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 ? Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task<string?> SignedInUserAsync(HttpContext http)
    {
        foreach (var scheme in new[] { IdentityConstants.ApplicationScheme, IdentityConstants.TwoFactorUserIdScheme })
        {
            try
            {
                var result = await http.AuthenticateAsync(scheme);
                var id = result.Principal?.FindFirstValue(ClaimTypes.NameIdentifier) ?? result.Principal?.FindFirstValue(ClaimTypes.Name);
                if (id is not null)
                {
                    return "user:" + id;
                }
            }
            catch (InvalidOperationException)
            {
                // Scheme not registered in this host.
            }
        }

        return null;
    }

    /// <summary>The partition for an address: IPv4 as is, IPv6 by its /64 (one host or household usually owns a whole /64).</summary>
    public static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "none";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    // Limiter keys may live in Redis: no user names or e-mail addresses in clear there.
    private static string Hash(string policy, string account)
    {
        var normalised = account.Trim().ToUpperInvariant();
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(policy + "\n" + normalised)), 0, 16);
    }
}
