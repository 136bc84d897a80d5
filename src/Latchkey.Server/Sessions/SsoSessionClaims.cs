using System.Globalization;
using System.Security.Claims;

namespace Latchkey.Server.Sessions;

/// <summary>Claim types the application cookie carries for its SSO session (the names OIDC uses in ID tokens).</summary>
public static class SsoSessionClaimTypes
{
    /// <summary>The <see cref="SsoSession.Id"/>.</summary>
    public const string SessionId = "sid";

    /// <summary>When the user authenticated, Unix seconds.</summary>
    public const string AuthenticationTime = "auth_time";

    /// <summary>One claim per RFC 8176 method.</summary>
    public const string AuthenticationMethod = "amr";

    /// <summary>Claim types that belong to the session rather than to the user, kept when Identity rebuilds the principal.</summary>
    public static readonly IReadOnlyList<string> All = [SessionId, AuthenticationTime, AuthenticationMethod];

    /// <summary>How a session id appears in cookies, ID tokens and logout tokens; one format everywhere so they compare equal.</summary>
    public static string Format(Guid sessionId) => sessionId.ToString("D", CultureInfo.InvariantCulture);

    internal static IReadOnlyList<Claim> For(SsoSession session)
    {
        var claims = new List<Claim>
        {
            new(SessionId, Format(session.Id)),
            new(AuthenticationTime, session.AuthenticatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
        };
        claims.AddRange(session.AuthMethods.Select(method => new Claim(AuthenticationMethod, method)));
        return claims;
    }
}

/// <summary>Reads the SSO session from a signed-in principal.</summary>
public static class SsoSessionHttpExtensions
{
    /// <summary>The session id in the principal's <c>sid</c> claim; null if absent or malformed (a cookie from before sessions existed).</summary>
    public static Guid? GetSsoSessionId(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var value = principal.FindFirst(SsoSessionClaimTypes.SessionId)?.Value;
        return Guid.TryParseExact(value, "D", out var id) ? id : null;
    }

    /// <summary>The principal's <c>auth_time</c>, or null.</summary>
    public static DateTimeOffset? GetAuthenticationTime(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var value = principal.FindFirst(SsoSessionClaimTypes.AuthenticationTime)?.Value;
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
    }

    /// <summary>The principal's <c>amr</c> values, in order.</summary>
    public static IReadOnlyList<string> GetAuthenticationMethods(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return [.. principal.FindAll(SsoSessionClaimTypes.AuthenticationMethod).Select(c => c.Value)];
    }
}
