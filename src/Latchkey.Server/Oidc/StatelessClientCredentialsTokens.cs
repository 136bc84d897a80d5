using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Latchkey.Server.Oidc;

/// <summary>
/// <c>Latchkey:Oidc:StatelessClientCredentialsTokens</c> (default true): access tokens issued by the
/// client_credentials grant are self-contained JWTs with no token row, so issuing one costs a signature
/// and no database write. Every other grant keeps token storage: refresh rotation and reuse detection,
/// code reuse revocation and consent revocation all depend on it.
/// </summary>
public sealed class StatelessClientCredentialsOptions
{
    public bool StatelessClientCredentialsTokens { get; set; } = true;

    /// <summary>
    /// <c>Latchkey:Oidc:ClientCredentialsFastPath</c> (default true): valid client_credentials requests are answered by
    /// <see cref="ClientCredentials.ClientCredentialsFastPath"/> instead of OpenIddict's pipeline (same tokens, a third of the CPU).
    /// </summary>
    public bool ClientCredentialsFastPath { get; set; } = true;
}

/// <summary>
/// Runs before OpenIddict's <c>CreateTokenEntry</c> and tells it not to create an entry for a
/// client_credentials access token. Such a token carries no token id, so validation (introspection)
/// skips the entry lookup and judges it by signature, issuer and expiry alone; revocation answers
/// <c>unsupported_token_type</c> because there is nothing to revoke. Reference access tokens are left
/// alone: an opaque reference only means something through its row.
/// </summary>
public sealed class StatelessClientCredentialsAccessTokenHandler(IOptionsMonitor<StatelessClientCredentialsOptions> options)
    : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; }
        = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<StatelessClientCredentialsAccessTokenHandler>()
            .SetOrder(OpenIddictServerHandlers.Protection.CreateTokenEntry.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        if (options.CurrentValue.StatelessClientCredentialsTokens
            && context.EndpointType == OpenIddictServerEndpointType.Token
            && context.TokenType == TokenTypeIdentifiers.AccessToken
            && !context.IsReferenceToken
            && context.Request?.IsClientCredentialsGrantType() == true)
        {
            context.CreateTokenEntry = false;
            context.PersistTokenPayload = false;
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Registration of the stateless client-credentials access tokens.</summary>
public static class StatelessClientCredentialsRegistration
{
    public static OpenIddictServerBuilder UseLatchkeyStatelessClientCredentialsTokens(this OpenIddictServerBuilder server)
    {
        ArgumentNullException.ThrowIfNull(server);
        server.Services.AddOptions<StatelessClientCredentialsOptions>().BindConfiguration(LatchkeyOidcOptions.SectionName);
        return server.AddEventHandler(StatelessClientCredentialsAccessTokenHandler.Descriptor);
    }
}
