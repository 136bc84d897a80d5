using Latchkey.Server.Oidc.Clients;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Latchkey.Server.Oidc.Keys;

/// <summary>
/// OpenIddict signs every ID token with its first asymmetric credential (RS256 here). A client registered
/// with <c>id_token_signed_response_alg</c> ES256 gets its ID tokens signed by the active ES256 key instead.
/// </summary>
internal sealed class ClientIdTokenAlgorithmHandler(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; }
        = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseScopedHandler<ClientIdTokenAlgorithmHandler>()
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType != TokenTypeIdentifiers.IdentityToken || string.IsNullOrEmpty(context.ClientId))
        {
            return;
        }

        var application = await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken);
        if (application is null)
        {
            return;
        }

        var wanted = ClientSettings.Read(await applications.GetPropertiesAsync(application, context.CancellationToken)).IdTokenSignedResponseAlg;
        if (wanted != SigningKeyAlgorithms.ES256)
        {
            return;
        }

        // Credentials are in key-ring order: active keys before next and retiring ones, newest first.
        var es256 = context.Options.SigningCredentials.FirstOrDefault(c => c.Algorithm == SecurityAlgorithms.EcdsaSha256);
        if (es256 is not null)
        {
            context.SigningCredentials = es256;
        }
    }
}
