using System.Text.Json;
using Latchkey.Server.Audit;
using Latchkey.Server.Oidc.Clients;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc.ClientCredentials;

/// <summary>
/// Answers the one hot request of a machine-to-machine deployment — a valid client_credentials token request — without
/// OpenIddict's event pipeline, which resolves and runs about a hundred handlers per request and cost more CPU than the
/// RS256 signature itself. It issues only what OpenIddict would issue for the same request (same claims, same key, same
/// lifetime, same response) and only when every check OpenIddict makes is one it can make exactly: a confidential client
/// with the token endpoint and client_credentials permissions and no per-client token settings, a valid secret, only
/// registered scopes the client holds, stateless JWT access tokens, HTTPS unless turned off. Anything else — a wrong
/// secret, an unknown client, an extra parameter, a reference-token setup — goes on to OpenIddict untouched, so every
/// error keeps OpenIddict's exact wording. <c>Latchkey:Oidc:ClientCredentialsFastPath</c> (default true) turns it off.
/// Runs after rate limiting (the request counts as before) and before authentication (where OpenIddict would take it).
/// </summary>
public sealed class ClientCredentialsFastPath(
    RequestDelegate next,
    ClientApplicationCache applications,
    ClientSecretPepper pepper,
    IOptionsMonitor<OpenIddictServerOptions> server,
    IOptionsMonitor<OpenIddictServerAspNetCoreOptions> aspNetCore,
    IOptionsMonitor<StatelessClientCredentialsOptions> latchkey,
    TimeProvider time)
{
    /// <summary>The route name of <c>/connect/token</c> (see <see cref="OidcServiceCollectionExtensions.MapLatchkeyOidc"/>).</summary>
    public const string TokenEndpointName = "oidc-token";

    private const int MaxBody = 4096;

    public async Task InvokeAsync(HttpContext http)
    {
        if (!IsTokenEndpoint(http) || !latchkey.CurrentValue.ClientCredentialsFastPath || !await TryIssueAsync(http))
        {
            await next(http);
        }
    }

    private static bool IsTokenEndpoint(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method)
        && http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == TokenEndpointName;

    private async Task<bool> TryIssueAsync(HttpContext http)
    {
        var options = server.CurrentValue;
        if (IssuerOf(http, options) is not { } issuer || options.UseReferenceAccessTokens
            || (!http.Request.IsHttps && !aspNetCore.CurrentValue.DisableTransportSecurityRequirement) || !latchkey.CurrentValue.StatelessClientCredentialsTokens
            || options.AccessTokenLifetime is not { } lifetime || options.SigningCredentials.Count == 0 || !AccessTokenWriter.CanSign(options.SigningCredentials[0])
            || !options.GrantTypes.Contains(GrantTypes.ClientCredentials)
            || http.Request.ContentLength is not (> 0 and <= MaxBody) || !ClientCredentialsRequest.IsUrlEncodedForm(http.Request))
        {
            return false;
        }

        IFormCollection form;
        try
        {
            // Buffered by the framework (the rate limiter read it already): OpenIddict reads the same collection if we pass.
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return false;
        }

        var request = ClientCredentialsRequest.TryRead(form, http.Request.Headers.Authorization);
        if (request is null || !AreRegisteredScopes(options, request.Scopes))
        {
            return false;
        }

        var application = await FindAsync(http, request.ClientId);
        if (application is null)
        {
            return false;
        }

        var client = FastPathClient.For(application);
        if (!client.Eligible || !request.Scopes.All(client.MayRequest)
            || !ClientSecretHash.Verify(await pepper.GetAsync(http.RequestAborted), request.ClientSecret, client.SecretHash!))
        {
            return false;
        }

        var issuedAt = time.GetUtcNow();
        var token = AccessTokenWriter.Write(options.SigningCredentials[0], issuer, request.ClientId, request.Scopes, issuedAt, issuedAt + lifetime);

        // As OpenIddict's pipeline would: the issuance is audited before the token leaves the server.
        await http.RequestServices.GetRequiredService<IAuditLog>().AppendAsync(
            OidcAuditHandlers.TokenIssuedRecord(OpenIddictServerEndpointType.Token, GrantTypes.ClientCredentials, request.ClientId, userId: null, userName: null, request.Scopes, ["access_token"]),
            http.RequestAborted);

        await WriteResponseAsync(http, token, (long)lifetime.TotalSeconds);
        return true;
    }

    /// <summary>The configured issuer, else (as OpenIddict does) the request's scheme, host and path base.</summary>
    private static Uri? IssuerOf(HttpContext http, OpenIddictServerOptions options)
    {
        if (options.Issuer is { } configured)
        {
            return configured;
        }

        var request = http.Request;
        return request.Host.HasValue
            && Uri.TryCreate(request.Scheme + Uri.SchemeDelimiter + request.Host + request.PathBase, UriKind.Absolute, out var derived)
                ? derived
                : null;
    }

    // OpenIddict also accepts scopes stored through its scope manager; Latchkey registers its scopes in the options
    // only, and anything else (or openid/offline_access, which have their own rules) is left to OpenIddict.
    private static bool AreRegisteredScopes(OpenIddictServerOptions options, IReadOnlyList<string> scopes)
    {
        foreach (var scope in scopes)
        {
            if (scope is Scopes.OpenId or Scopes.OfflineAccess || !options.Scopes.Contains(scope))
            {
                return false;
            }
        }

        return true;
    }

    private async ValueTask<OpenIddictEntityFrameworkCoreApplication<Guid>?> FindAsync(HttpContext http, string clientId)
    {
        if (applications.TryGet(clientId, out var cached))
        {
            return cached;
        }

        // The manager reads the row and fills the cache (it is the only writer of it).
        var manager = http.RequestServices.GetRequiredService<IOpenIddictApplicationManager>();
        return await manager.FindByClientIdAsync(clientId, http.RequestAborted) as OpenIddictEntityFrameworkCoreApplication<Guid>;
    }

    private static async Task WriteResponseAsync(HttpContext http, string token, long expiresIn)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json;charset=UTF-8";
        // RFC 6749 §5.1, and OpenIddict's exact set.
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        await using var json = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString(Parameters.AccessToken, token);
        json.WriteString(Parameters.TokenType, TokenTypes.Bearer);
        json.WriteNumber(Parameters.ExpiresIn, expiresIn);
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }
}

/// <summary>Pipeline registration of <see cref="ClientCredentialsFastPath"/>.</summary>
public static class ClientCredentialsFastPathExtensions
{
    public static IApplicationBuilder UseLatchkeyClientCredentialsFastPath(this IApplicationBuilder app) =>
        app.UseMiddleware<ClientCredentialsFastPath>();
}
