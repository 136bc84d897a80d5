using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Latchkey.Server.Oidc.ClientCredentials;

/// <summary>
/// A token request the fast path may answer: <c>grant_type=client_credentials</c>, the client authenticated
/// with its secret either by HTTP Basic (client_secret_basic) or in the form (client_secret_post), and an
/// optional <c>scope</c> — nothing else. Whatever does not parse into exactly this shape is left to OpenIddict,
/// which answers it (errors included) as it always did.
/// </summary>
internal sealed record ClientCredentialsRequest(string ClientId, string ClientSecret, IReadOnlyList<string> Scopes)
{
    private const string GrantType = "grant_type";
    private const string Scope = "scope";
    private const string ClientIdParameter = "client_id";
    private const string ClientSecretParameter = "client_secret";

    public static ClientCredentialsRequest? TryRead(IFormCollection form, StringValues authorization)
    {
        string? grant = null, scope = null, formId = null, formSecret = null;
        foreach (var (name, values) in form)
        {
            // A repeated parameter is malformed (RFC 6749 §3.2); OpenIddict phrases that error.
            if (values.Count != 1)
            {
                return null;
            }

            switch (name)
            {
                case GrantType: grant = values[0]; break;
                case Scope: scope = values[0]; break;
                case ClientIdParameter: formId = values[0]; break;
                case ClientSecretParameter: formSecret = values[0]; break;
                default: return null;
            }
        }

        if (grant != "client_credentials" || form.Files.Count > 0)
        {
            return null;
        }

        string? clientId, secret;
        if (authorization.Count == 0)
        {
            (clientId, secret) = (formId, formSecret);
        }
        else if (authorization.Count == 1 && formId is null && formSecret is null && TryReadBasic(authorization[0], out var basicId, out var basicSecret))
        {
            (clientId, secret) = (basicId, basicSecret);
        }
        else
        {
            return null;
        }

        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
        {
            return null;
        }

        var scopes = new List<string>();
        if (scope is not null)
        {
            foreach (var item in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!scopes.Contains(item, StringComparer.Ordinal))
                {
                    scopes.Add(item);
                }
            }
        }

        return new ClientCredentialsRequest(clientId, secret, scopes);
    }

    /// <summary>RFC 6749 §2.3.1: base64 of form-encoded id ":" form-encoded secret (decoded as OpenIddict does).</summary>
    private static bool TryReadBasic(string? header, out string? clientId, out string? secret)
    {
        clientId = secret = null;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[768];
        if (!Convert.TryFromBase64String(header["Basic ".Length..].Trim(), decoded, out var length))
        {
            return false;
        }

        var text = Encoding.ASCII.GetString(decoded[..length]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        clientId = Uri.UnescapeDataString(text[..colon].Replace('+', ' '));
        secret = Uri.UnescapeDataString(text[(colon + 1)..].Replace('+', ' '));
        return true;
    }

    /// <summary>Only a plain urlencoded form is read here (OpenIddict's own rule for the token endpoint).</summary>
    public static bool IsUrlEncodedForm(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
}
