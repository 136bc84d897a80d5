using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Latchkey.SimpleSso;

namespace Latchkey.Client.AspNetCore;

/// <summary>Turns a verified user payload into a claims identity: one claim per payload field.</summary>
internal static class SimpleSsoClaims
{
    public static ClaimsIdentity CreateIdentity(SimpleSsoUser user, string authenticationType, string issuer)
    {
        var identity = new ClaimsIdentity(authenticationType, ClaimTypes.Name, ClaimTypes.Role);
        void Add(string type, string value, string valueType = ClaimValueTypes.String) =>
            identity.AddClaim(new Claim(type, value, valueType, issuer));

        // Username is the only identity key the protocol offers; apps that need more can add an id via extra fields.
        Add(ClaimTypes.NameIdentifier, user.Username);
        Add(ClaimTypes.Name, user.Username);

        // Empty strings are the protocol's "unknown"; an empty Email claim would mislead consumers.
        if (user.Email.Length > 0)
        {
            Add(ClaimTypes.Email, user.Email);
        }

        if (user.FirstName.Length > 0)
        {
            Add(ClaimTypes.GivenName, user.FirstName);
        }

        if (user.LastName.Length > 0)
        {
            Add(ClaimTypes.Surname, user.LastName);
        }

        Add(SimpleSsoClaimTypes.IsStaff, Bool(user.IsStaff), ClaimValueTypes.Boolean);
        Add(SimpleSsoClaimTypes.IsSuperuser, Bool(user.IsSuperuser), ClaimValueTypes.Boolean);
        Add(SimpleSsoClaimTypes.IsActive, Bool(user.IsActive), ClaimValueTypes.Boolean);

        if (user.ExtraData is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } extra)
        {
            Add(SimpleSsoClaimTypes.ExtraData, extra.GetRawText(), SimpleSsoClaimTypes.JsonValueType);
        }

        foreach (var (key, value) in user.AdditionalFields ?? [])
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    Add(SimpleSsoClaimTypes.Prefix + key, value.GetString()!);
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    Add(SimpleSsoClaimTypes.Prefix + key, Bool(value.GetBoolean()), ClaimValueTypes.Boolean);
                    break;
                case JsonValueKind.Null or JsonValueKind.Undefined:
                    break;
                default:
                    Add(SimpleSsoClaimTypes.Prefix + key, value.GetRawText(), SimpleSsoClaimTypes.JsonValueType);
                    break;
            }
        }

        return identity;
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
