using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>Registers passkeys (WebAuthn) on top of ASP.NET Core Identity's built-in passkey support.</summary>
public static class PasskeyServiceCollectionExtensions
{
    public static IServiceCollection AddLatchkeyPasskeys(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, PasskeyOptionsValidator>());
        services.AddOptions<IdentityPasskeyOptions>()
            .Configure<IOptions<LatchkeyOptions>>((identity, latchkey) => Configure(identity, latchkey.Value.Passkeys));
        services.TryAddScoped<IPasskeyHandler<LatchkeyUser>, PasskeyHandler<LatchkeyUser>>();
        services.TryAddScoped<PasskeyCredentials>();
        services.TryAddScoped<PasskeyCeremonies>();
        return services;
    }

    private static void Configure(IdentityPasskeyOptions identity, LatchkeyPasskeyOptions passkeys)
    {
        identity.ServerDomain = passkeys.ServerDomain;
        identity.AuthenticatorTimeout = passkeys.CeremonyLifetime;
        // Per ceremony: a passwordless sign-in demands verification (see PasskeyCeremonies), a second factor does not.
        identity.UserVerificationRequirement = "preferred";
        // Discoverable credentials make passwordless sign-in and autofill work; "required" would shut out older security keys.
        identity.ResidentKeyRequirement = "preferred";
        // No attestation: without the FIDO metadata service (no network) it proves nothing, and it identifies the device model.
        identity.AttestationConveyancePreference = "none";

        var allowed = passkeys.Origins
            .Select(origin => PasskeyOrigins.TryParse(origin, out var uri) ? uri : null)
            .OfType<Uri>()
            .ToArray();
        identity.ValidateOrigin = context => ValueTask.FromResult(PasskeyOrigins.IsAllowed(context, allowed));
    }
}
