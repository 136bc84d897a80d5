using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Latchkey.Server.Oidc;

/// <summary>Latchkey's additions to OpenIddict's request pipeline.</summary>
public static class OidcServerHandlers
{
    // After every built-in validator: the client is known to exist by then.
    private const int AfterBuiltInValidation = int.MaxValue - 100_000;

    /// <summary>
    /// A public client cannot keep a secret, so without PKCE a stolen code is a stolen login: public
    /// clients must send a code challenge (S256 — "plain" is switched off globally). Confidential
    /// clients may still omit it; OpenIddict's per-client <c>ft:pkce</c> requirement can demand it of them too.
    /// </summary>
    public sealed class RequirePkceForPublicClients(IOpenIddictApplicationManager applications)
        : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
                .UseScopedHandler<RequirePkceForPublicClients>()
                .SetOrder(AfterBuiltInValidation)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
        {
            if (await PkceRules.IsMissingForPublicClientAsync(applications, context.Request, context.CancellationToken))
            {
                context.Reject(Errors.InvalidRequest, PkceRules.Description);
            }
        }
    }

    /// <summary>The same rule for pushed authorization requests (RFC 9126).</summary>
    public sealed class RequirePkceForPublicPushedClients(IOpenIddictApplicationManager applications)
        : IOpenIddictServerHandler<ValidatePushedAuthorizationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ValidatePushedAuthorizationRequestContext>()
                .UseScopedHandler<RequirePkceForPublicPushedClients>()
                .SetOrder(AfterBuiltInValidation)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidatePushedAuthorizationRequestContext context)
        {
            if (await PkceRules.IsMissingForPublicClientAsync(applications, context.Request, context.CancellationToken))
            {
                context.Reject(Errors.InvalidRequest, PkceRules.Description);
            }
        }
    }

    /// <summary>Discovery advertises single logout (OpenID Connect Back-Channel and Front-Channel Logout 1.0), which the sessions feature delivers.</summary>
    public sealed class AdvertiseLogoutSupport : IOpenIddictServerHandler<HandleConfigurationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
                .UseSingletonHandler<AdvertiseLogoutSupport>()
                .SetOrder(int.MaxValue - 100_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(HandleConfigurationRequestContext context)
        {
            context.Metadata["backchannel_logout_supported"] = true;
            context.Metadata["backchannel_logout_session_supported"] = true;
            context.Metadata["frontchannel_logout_supported"] = true;
            context.Metadata["frontchannel_logout_session_supported"] = true;
            context.Metadata["acr_values_supported"] = JsonSerializer.SerializeToElement(new[] { OidcAuthenticationMethods.AcrPassword, OidcAuthenticationMethods.AcrMultiFactor });
            return default;
        }
    }

    /// <summary>
    /// OpenIddict answers <c>response_mode=form_post</c> with a self-submitting form; the site-wide CSP
    /// (no inline script, <c>form-action 'self'</c>) would block it. This response gets a CSP allowing
    /// exactly that script (by hash) and a post to the client's redirect URI origin only.
    /// </summary>
    public sealed class AllowFormPostScript : IOpenIddictServerHandler<ApplyAuthorizationResponseContext>
    {
        private const string AutoSubmitScript = "document.form.submit();";

        private static readonly string ScriptHash =
            "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(AutoSubmitScript))) + "'";

        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyAuthorizationResponseContext>()
                .UseSingletonHandler<AllowFormPostScript>()
                // Just before the ASP.NET Core host writes the form (the response mode is resolved by then).
                .SetOrder(OpenIddictServerAspNetCoreHandlers.Authentication.ProcessFormPostResponse.Descriptor.Order - 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ApplyAuthorizationResponseContext context)
        {
            var http = context.Transaction.GetHttpRequest()?.HttpContext;
            if (http is null || !string.Equals(context.ResponseMode, ResponseModes.FormPost, StringComparison.Ordinal)
                || !Uri.TryCreate(context.RedirectUri, UriKind.Absolute, out var target))
            {
                return default;
            }

            var formAction = target.Scheme is "https" or "http" ? target.GetLeftPart(UriPartial.Authority) : target.Scheme + ":";
            http.Response.Headers.ContentSecurityPolicy =
                $"default-src 'none'; script-src {ScriptHash}; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
            return default;
        }
    }

    /// <summary>
    /// OpenIddict answers every failed request validation on its own error page, even when the request named a
    /// known client and one of its registered redirect URIs. RFC 6749 §4.1.2.1 says only an invalid client or
    /// redirect URI must stay here; every other error (missing PKCE, unsupported response_type, bad scope...)
    /// goes back to the client, which can then tell its user something useful. This re-checks client and
    /// redirect URI itself (exact match against the registration) before redirecting, so a request that
    /// failed on either still gets the error page. State and iss are attached by OpenIddict's later handlers.
    /// </summary>
    public sealed class RedirectValidationErrorsToClient(IOpenIddictApplicationManager applications)
        : IOpenIddictServerHandler<ApplyAuthorizationResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyAuthorizationResponseContext>()
                .UseScopedHandler<RedirectValidationErrorsToClient>()
                // After OpenIddict decided (not) to redirect, before it attaches state and iss.
                .SetOrder(OpenIddictServerHandlers.Authentication.InferResponseMode.Descriptor.Order + 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ApplyAuthorizationResponseContext context)
        {
            var request = context.Request;
            if (!string.IsNullOrEmpty(context.RedirectUri) || string.IsNullOrEmpty(context.Response.Error) || request is null
                || string.IsNullOrEmpty(request.ClientId) || string.IsNullOrEmpty(request.RedirectUri)
                || !Uri.TryCreate(request.RedirectUri, UriKind.Absolute, out var redirectUri) || !string.IsNullOrEmpty(redirectUri.Fragment))
            {
                return;
            }

            var application = await applications.FindByClientIdAsync(request.ClientId, context.CancellationToken);
            if (application is null
                || !await applications.HasPermissionAsync(application, Permissions.Endpoints.Authorization, context.CancellationToken)
                || !await applications.ValidateRedirectUriAsync(application, request.RedirectUri, context.CancellationToken))
            {
                return;
            }

            context.RedirectUri = request.RedirectUri;
            context.ResponseMode = request.ResponseMode switch
            {
                ResponseModes.Query or ResponseModes.Fragment or ResponseModes.FormPost => request.ResponseMode,
                // An unknown or missing mode: the default of the response type asked for (RFC 6749 §4.2.2.1: fragment for tokens).
                _ => request.HasResponseType(ResponseTypes.Token) || request.HasResponseType(ResponseTypes.IdToken) ? ResponseModes.Fragment : ResponseModes.Query,
            };
        }
    }

    private static class PkceRules
    {
        public const string Description = "The 'code_challenge' parameter (S256) is required for public clients.";

        public static async ValueTask<bool> IsMissingForPublicClientAsync(
            IOpenIddictApplicationManager applications, OpenIddictRequest request, CancellationToken ct)
        {
            if (!request.HasResponseType(ResponseTypes.Code) || !string.IsNullOrEmpty(request.CodeChallenge)
                || string.IsNullOrEmpty(request.ClientId))
            {
                return false;
            }

            var application = await applications.FindByClientIdAsync(request.ClientId, ct);
            return application is not null && await applications.HasClientTypeAsync(application, ClientTypes.Public, ct);
        }
    }
}
