using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace Latchkey.Server.Sessions;

/// <summary>
/// Creates Back-Channel Logout 1.0 logout tokens, signed with the OIDC server's current signing key so
/// clients validate them against the same JWKS as ID tokens.
/// </summary>
public sealed class LogoutTokenFactory(IOptionsMonitor<OpenIddictServerOptions> serverOptions, TimeProvider time)
{
    public const string TokenType = "logout+jwt";
    public const string BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The token, or null when the OIDC server has no asymmetric signing key (then nothing can be sent).</summary>
    public string? Create(string issuer, string audience, string subject, string sessionId)
    {
        // Asymmetric only: a symmetric key is not published in JWKS, so clients could not check the token.
        var credentials = serverOptions.CurrentValue.SigningCredentials.FirstOrDefault(c => c.Key is AsymmetricSecurityKey);
        if (credentials is null)
        {
            return null;
        }

        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            Expires = now + Lifetime,
            SigningCredentials = credentials,
            // No nonce: §2.4 forbids it, so a logout token cannot pass for an ID token.
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
                [JwtRegisteredClaimNames.Sub] = subject,
                [SsoSessionClaimTypes.SessionId] = sessionId,
                ["events"] = new Dictionary<string, object> { [BackChannelLogoutEvent] = new Dictionary<string, object>() },
            },
        });
    }
}
