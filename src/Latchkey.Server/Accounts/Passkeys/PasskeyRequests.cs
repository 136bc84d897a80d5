using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>A JSON request body of a passkey endpoint, read defensively.</summary>
internal sealed record PasskeyRequest(Guid? CeremonyId, string? CredentialJson, string? Name, string? ReturnUrl);

/// <summary>
/// Reading and answering the passkey endpoints' JSON: antiforgery first, then size, media type and shape, each with its own 4xx
/// and a reason, so no malformed request reaches verification (or a 500).
/// </summary>
internal static class PasskeyRequests
{
    /// <summary>A WebAuthn response is a few kilobytes; anything far bigger is not one.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static IResult Error(PasskeyFailure failure) =>
        Results.Json(new { error = failure.Code, message = failure.Message }, statusCode: failure.Status);

    public static IResult Error(int status, string code, string message) => Error(new PasskeyFailure(status, code, message));

    public static async Task<IResult?> CheckAntiforgeryAsync(HttpContext http)
    {
        var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
        try
        {
            await antiforgery.ValidateRequestAsync(http);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return Error(400, "antiforgery", "The request's antiforgery token is missing or invalid. Reload the page and try again.");
        }
    }

    public static async Task<(PasskeyRequest? Request, IResult? Error)> ReadAsync(HttpContext http)
    {
        if (await CheckAntiforgeryAsync(http) is { } refused)
        {
            return (null, refused);
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        if (!http.Request.HasJsonContentType())
        {
            return (null, Error(415, "unsupported_media_type", "Send the request as application/json."));
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, TooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, Malformed("The body must be a JSON object."));
            }

            Guid? ceremony = null;
            if (root.TryGetProperty("ceremony", out var ceremonyElement))
            {
                if (ceremonyElement.ValueKind != JsonValueKind.String || !Guid.TryParse(ceremonyElement.GetString(), out var parsed))
                {
                    return (null, Malformed("'ceremony' must be the id the options request returned."));
                }

                ceremony = parsed;
            }

            string? credential = null;
            if (root.TryGetProperty("credential", out var credentialElement))
            {
                if (credentialElement.ValueKind != JsonValueKind.Object)
                {
                    return (null, Malformed("'credential' must be the JSON form of the browser's PublicKeyCredential."));
                }

                credential = credentialElement.GetRawText();
            }

            return (new PasskeyRequest(ceremony, credential, OptionalString(root, "name"), OptionalString(root, "returnUrl")), null);
        }
        catch (JsonException)
        {
            return (null, Malformed("The body is not valid JSON."));
        }
        catch (InvalidOperationException)
        {
            return (null, Malformed("'name' and 'returnUrl' must be strings."));
        }
    }

    /// <summary>The options answer: the ceremony id and the raw options for <c>PublicKeyCredential.parse*OptionsFromJSON</c>.</summary>
    public static IResult Options(PasskeyChallenge challenge)
    {
        var json = $"{{\"ceremony\":\"{challenge.CeremonyId}\",\"options\":{challenge.OptionsJson}}}";
        return Results.Text(json, "application/json", statusCode: StatusCodes.Status200OK);
    }

    public static IResult Malformed(string message) => Error(400, "malformed_request", message);

    private static IResult TooLarge() => Error(413, "request_too_large", $"The request body is larger than {MaxBodyBytes} bytes.");

    private static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null ? element.GetString() : null;
}
