using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Latchkey.Server.Audit;

/// <summary>OpenIddict event handlers that audit code and token issuance and token revocation (never the values).</summary>
public static class OidcAuditHandlers
{
    public static OpenIddictServerBuilder AddLatchkeyAuditHandlers(this OpenIddictServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddEventHandler(AuditSignIn.Descriptor).AddEventHandler(AuditRevocation.Descriptor);
    }

    /// <summary>After OpenIddict generated the tokens of a sign-in (authorization, token, device endpoints).</summary>
    public sealed class AuditSignIn(IAuditLog audit) : IOpenIddictServerHandler<ProcessSignInContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                .UseScopedHandler<AuditSignIn>()
                .SetOrder(OpenIddictServerHandlers.AttachSignInParameters.Descriptor.Order + 1_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ProcessSignInContext context)
        {
            if (context.IsRejected)
            {
                return;
            }

            var tokens = new List<string>();
            if (context.IncludeAccessToken)
            {
                tokens.Add("access_token");
            }

            if (context.IncludeRefreshToken)
            {
                tokens.Add("refresh_token");
            }

            if (context.IncludeIdentityToken)
            {
                tokens.Add("id_token");
            }

            var codes = new List<string>();
            if (context.IncludeAuthorizationCode)
            {
                codes.Add("authorization_code");
            }

            if (context.IncludeDeviceCode)
            {
                codes.Add("device_code");
            }

            if (context.IncludeUserCode)
            {
                codes.Add("user_code");
            }

            if (tokens.Count == 0 && codes.Count == 0)
            {
                return;
            }

            var clientId = context.ClientId ?? context.Request?.ClientId;
            var principal = context.Principal;
            var subject = principal?.GetClaim(Claims.Subject);
            var userId = Guid.TryParse(subject, out var id) ? id : (Guid?)null;
            var userName = principal?.GetClaim(Claims.PreferredUsername) ?? principal?.GetClaim(Claims.Name) ?? principal?.FindFirst(ClaimTypes.Name)?.Value;
            var grant = context.Request?.GrantType;
            var scopes = principal?.GetScopes() ?? [];
            var ct = context.CancellationToken;
            if (codes.Count > 0)
            {
                var details = Details(context.EndpointType, grant, scopes);
                details["types"] = string.Join(' ', codes);
                await audit.AppendAsync(
                    new AuditRecord(AuditEvents.CodeIssued, AuditOutcome.Success)
                    {
                        SubjectId = userId,
                        SubjectName = userId is null ? null : userName,
                        App = clientId is null ? null : AuditRecord.OidcApp(clientId),
                        Details = details,
                    },
                    ct);
            }

            if (tokens.Count > 0)
            {
                await audit.AppendAsync(TokenIssuedRecord(context.EndpointType, grant, clientId, userId, userName, scopes, tokens), ct);
            }
        }
    }

    /// <summary>
    /// The <c>token.issued</c> entry; also written by <see cref="Oidc.ClientCredentials.ClientCredentialsFastPath"/>, which
    /// issues client_credentials tokens without this pipeline and must leave the same trail.
    /// </summary>
    public static AuditRecord TokenIssuedRecord(
        OpenIddictServerEndpointType endpoint, string? grant, string? clientId, Guid? userId, string? userName,
        IReadOnlyCollection<string> scopes, IReadOnlyCollection<string> tokens)
    {
        var details = Details(endpoint, grant, scopes);
        details["types"] = string.Join(' ', tokens);
        return new AuditRecord(AuditEvents.TokenIssued, AuditOutcome.Success)
        {
            // At the token endpoint the client acts (for a user, or for itself with client_credentials).
            ActorName = endpoint == OpenIddictServerEndpointType.Token ? clientId : null,
            SubjectId = userId,
            SubjectName = userId is not null ? userName : clientId,
            App = clientId is null ? null : AuditRecord.OidcApp(clientId),
            Details = details,
        };
    }

    private static Dictionary<string, string> Details(OpenIddictServerEndpointType endpoint, string? grant, IReadOnlyCollection<string> scopes)
    {
        var details = new Dictionary<string, string> { ["endpoint"] = endpoint.ToString().ToLowerInvariant() };
        if (grant is not null)
        {
            details["grant_type"] = grant;
        }

        if (scopes.Count > 0)
        {
            details["scope"] = string.Join(' ', scopes);
        }

        return details;
    }

    /// <summary>After the revocation endpoint answered.</summary>
    public sealed class AuditRevocation(IAuditLog audit) : IOpenIddictServerHandler<ApplyRevocationResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyRevocationResponseContext>()
                .UseScopedHandler<AuditRevocation>()
                .SetOrder(int.MinValue + 100_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ApplyRevocationResponseContext context)
        {
            var clientId = context.Request?.ClientId;
            var details = new Dictionary<string, string>();
            if (context.Request?.TokenTypeHint is { Length: > 0 } hint)
            {
                details["token_type_hint"] = hint;
            }

            if (context.Error is { Length: > 0 } error)
            {
                details["reason"] = error;
            }

            await audit.AppendAsync(
                new AuditRecord(AuditEvents.TokenRevoked, context.Error is null ? AuditOutcome.Success : AuditOutcome.Failure)
                {
                    ActorName = clientId,
                    SubjectName = clientId,
                    App = clientId is null ? null : AuditRecord.OidcApp(clientId),
                    Details = details,
                },
                context.CancellationToken);
        }
    }
}
