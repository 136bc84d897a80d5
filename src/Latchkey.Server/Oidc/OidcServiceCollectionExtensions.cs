using Latchkey.Server.Audit;
using Latchkey.Server.Oidc.Clients;
using Latchkey.Server.Oidc.Keys;
using Latchkey.Server.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.Core;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Oidc;

/// <summary>Registration of the OpenID Connect provider; called from <c>AddLatchkeyCore</c>/<c>AddLatchkey</c> and <c>MapLatchkey</c>.</summary>
public static class OidcServiceCollectionExtensions
{
    /// <summary>The OpenIddict stores and managers (applications, authorizations, scopes, tokens) — what CLI commands need too.</summary>
    public static IServiceCollection AddLatchkeyOidcStores(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(OidcStoresMarker)))
        {
            return services;
        }

        services.AddSingleton<OidcStoresMarker>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore()
                    .UseDbContext<LatchkeyDbContext>()
                    .ReplaceDefaultEntities<Guid>();
                // Client secrets are random and high-entropy: a keyed HMAC, not PBKDF2 per request.
                core.UseLatchkeyClientSecrets();
            });
        services.AddOptions<OpenIddictCoreOptions>().Configure<TimeProvider>((core, time) => core.TimeProvider = time);
        return services;
    }

    /// <summary>The authorization server: endpoints, flows, tokens, and Latchkey's pass-through handlers.</summary>
    public static IServiceCollection AddLatchkeyOidc(this IServiceCollection services)
    {
        services.AddLatchkeyOidcStores();
        services.AddOptions<LatchkeyOidcOptions>().BindConfiguration(LatchkeyOidcOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOidcOptions>, LatchkeyOidcOptionsValidator>());
        services.TryAddScoped<OidcPrincipalFactory>();
        services.TryAddScoped<OidcSessionLink>();
        services.TryAddScoped<OidcConsents>();
        services.TryAddSingleton<OidcStorePruner>();
        services.AddHostedService(provider => provider.GetRequiredService<OidcStorePruner>());

        services.AddOpenIddict()
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetPushedAuthorizationEndpointUris("connect/par")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetEndSessionEndpointUris("connect/logout")
                    .SetDeviceAuthorizationEndpointUris("connect/device")
                    .SetEndUserVerificationEndpointUris("device")
                    .SetConfigurationEndpointUris(".well-known/openid-configuration")
                    .SetJsonWebKeySetEndpointUris(".well-known/jwks");

                // Implicit, hybrid and password grants stay off: only these flows exist.
                server.AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow()
                    .AllowDeviceAuthorizationFlow();

                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles, Scopes.OfflineAccess);
                server.RegisterClaims(
                    Claims.Subject, Claims.Name, Claims.GivenName, Claims.FamilyName, Claims.PreferredUsername,
                    Claims.Email, Claims.EmailVerified, Claims.Role, Claims.AuthenticationTime,
                    Claims.AuthenticationMethodReference, Claims.AuthenticationContextReference, "sid");

                // Signed, not encrypted: resource servers of any stack must be able to read at+jwt access tokens.
                server.DisableAccessTokenEncryption();
                // Persistent, encrypted, rotating keys (published in JWKS before use).
                server.UseLatchkeySigningKeys();
                // client_credentials access tokens: self-contained JWTs, no token row (configurable).
                server.UseLatchkeyStatelessClientCredentialsTokens();

                server.AddEventHandler(OidcServerHandlers.RequirePkceForPublicClients.Descriptor)
                    .AddEventHandler(OidcServerHandlers.RequirePkceForPublicPushedClients.Descriptor)
                    .AddEventHandler(OidcServerHandlers.AdvertiseLogoutSupport.Descriptor)
                    .AddEventHandler(OidcServerHandlers.AllowFormPostScript.Descriptor)
                    .AddEventHandler(OidcServerHandlers.RedirectValidationErrorsToClient.Descriptor)
                    .AddEventHandler(SessionBoundRefreshTokens.Descriptor);
                // Code, token and revocation audit entries (Audit/).
                server.AddLatchkeyAuditHandlers();

                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableEndUserVerificationEndpointPassthrough();
            });

        services.AddOptions<OpenIddictServerOptions>()
            .Configure<IOptions<LatchkeyOidcOptions>, TimeProvider>((server, latchkey, time) =>
            {
                var oidc = latchkey.Value;
                server.TimeProvider = time;
                if (!string.IsNullOrWhiteSpace(oidc.Issuer))
                {
                    server.Issuer = new Uri(oidc.Issuer, UriKind.Absolute);
                }

                // S256 only: "plain" protects nothing against an attacker who can read the request.
                server.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);
                // A session holds one account, so there is nothing to select: don't advertise what we can't honour.
                server.PromptValues.Remove(PromptValues.SelectAccount);
                // Clients cannot register a JWKS (yet), so no client assertion could ever validate: don't advertise one.
                server.ClientAuthenticationMethods.Remove(ClientAuthenticationMethods.PrivateKeyJwt);
                server.UseReferenceAccessTokens = oidc.UseReferenceAccessTokens;
                server.AccessTokenLifetime = oidc.AccessTokenLifetime;
                server.IdentityTokenLifetime = oidc.IdentityTokenLifetime;
                server.AuthorizationCodeLifetime = oidc.AuthorizationCodeLifetime;
                server.RefreshTokenLifetime = oidc.RefreshTokenLifetime;
                server.DeviceCodeLifetime = oidc.DeviceCodeLifetime;
                server.UserCodeLifetime = oidc.DeviceCodeLifetime;
                // OpenIddict treats a null leeway as "never reusable"; zero would still allow a same-instant retry.
                server.RefreshTokenReuseLeeway = oidc.RefreshTokenReuseLeeway == TimeSpan.Zero ? null : oidc.RefreshTokenReuseLeeway;
            });
        services.AddOptions<OpenIddictServerAspNetCoreOptions>()
            .Configure<IOptions<LatchkeyOidcOptions>>((aspNetCore, latchkey) =>
                aspNetCore.DisableTransportSecurityRequirement = !latchkey.Value.RequireHttps);

        return services;
    }

    /// <summary>Maps the pass-through endpoints that are not Razor Pages (token, userinfo).</summary>
    public static TBuilder MapLatchkeyOidc<TBuilder>(this TBuilder app)
        where TBuilder : IEndpointRouteBuilder
    {
        app.MapPost("/connect/token", OidcTokenEndpoint.HandleAsync).WithName("oidc-token").DisableAntiforgery();
        app.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], OidcUserInfoEndpoint.HandleAsync)
            .WithName("oidc-userinfo").DisableAntiforgery();
        return app;
    }

    private sealed class OidcStoresMarker;
}
