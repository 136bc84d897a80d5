namespace Latchkey.Client.AspNetCore;

/// <summary>
/// Claim types for the verify payload fields that have no standard <see cref="System.Security.Claims.ClaimTypes"/> equivalent.
/// Username, e-mail and names use <c>NameIdentifier</c>/<c>Name</c>, <c>Email</c>, <c>GivenName</c> and <c>Surname</c>.
/// </summary>
public static class SimpleSsoClaimTypes
{
    /// <summary>Prefix of every simple-sso specific claim; unknown payload keys become <c>simple_sso:&lt;key&gt;</c>.</summary>
    public const string Prefix = "simple_sso:";

    /// <summary><c>is_staff</c> as <c>"true"</c>/<c>"false"</c>.</summary>
    public const string IsStaff = Prefix + "is_staff";

    /// <summary><c>is_superuser</c> as <c>"true"</c>/<c>"false"</c>.</summary>
    public const string IsSuperuser = Prefix + "is_superuser";

    /// <summary><c>is_active</c> as <c>"true"</c>/<c>"false"</c> (always true on a signed-in user: inactive users are refused).</summary>
    public const string IsActive = Prefix + "is_active";

    /// <summary>The server's <c>extra_data</c>, as raw JSON text.</summary>
    public const string ExtraData = Prefix + "extra_data";

    /// <summary>
    /// The SSO session the login came from (Latchkey single-logout extension; present only when the consumer has a
    /// back-channel logout URL). A back-channel logout naming it ends every local session carrying it.
    /// </summary>
    public const string SsoSession = Prefix + "sso_session";

    /// <summary>Value type of claims that hold raw JSON text.</summary>
    public const string JsonValueType = "JSON";
}
