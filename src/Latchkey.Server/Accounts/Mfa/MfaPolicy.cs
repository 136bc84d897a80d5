namespace Latchkey.Server.Accounts.Mfa;

/// <summary>
/// How the three MFA settings combine: the most restrictive wins. A sign-in needs a second factor when ANY of these holds:
/// the global policy is <c>Required</c>; the user's own setting is <c>Required</c>; the app being signed into requires MFA
/// (consumer <c>RequireMfa</c>, OIDC client <c>require_mfa</c>, or the OIDC request's <c>acr_values</c> asks for the MFA acr).
/// Nothing relaxes another setting: a user's <c>Optional</c> does not exempt them from a global <c>Required</c> or from an app.
/// </summary>
public static class MfaPolicy
{
    /// <summary>Whether every sign-in of this user needs a second factor, whatever the app.</summary>
    public static bool RequiredForUser(MfaGlobalPolicy global, MfaRequirement user) =>
        global == MfaGlobalPolicy.Required || user == MfaRequirement.Required;

    /// <summary>Whether signing this user into this app needs a multi-factor session.</summary>
    public static bool Required(MfaGlobalPolicy global, MfaRequirement user, bool appRequiresMfa) =>
        RequiredForUser(global, user) || appRequiresMfa;
}
