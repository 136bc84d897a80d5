namespace Latchkey.Server.Oidc;

/// <summary>
/// TEMPORARY: the seams where the oidc-clients feature plugs in persistent signing keys
/// (<c>UseLatchkeySigningKeys</c>) and fast client-secret hashing (<c>UseLatchkeyClientSecrets</c>).
/// Until those exist, keys are ephemeral (lost on restart: codes and refresh tokens issued before a
/// restart stop working) and secrets use OpenIddict's default hashing.
/// </summary>
internal static class LatchkeyOidcTemporaryWiring
{
    // Now backed by the oidc-clients feature (database keys, HMAC client secrets); inline these calls when convenient.
    public static void UseSigningKeys(OpenIddictServerBuilder server) =>
        Keys.SigningKeyRegistration.UseLatchkeySigningKeys(server);

    public static void UseClientSecrets(OpenIddictCoreBuilder core) =>
        Clients.ClientSecretsRegistration.UseLatchkeyClientSecrets(core);
}
