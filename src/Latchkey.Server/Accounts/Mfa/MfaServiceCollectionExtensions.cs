using Latchkey.Server.Accounts.AppAccess;
using Latchkey.Server.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>Registration of second factors, MFA policy and the app sign-in gate; called from <c>AddLatchkeyCore</c>.</summary>
public static class MfaServiceCollectionExtensions
{
    public static IServiceCollection AddLatchkeyMfa(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LatchkeyOptions>, LatchkeyMfaOptionsValidator>());
        services.TryAddSingleton<TotpSecretProtector>();
        services.TryAddScoped<TotpAuthenticators>();
        services.TryAddScoped<RecoveryCodes>();
        services.TryAddScoped<EmailCodes>();
        services.TryAddScoped<MfaFactors>();
        services.TryAddScoped<SecondFactorLockout>();
        services.TryAddScoped<PendingSignIns>();
        services.TryAddScoped<MfaAdministration>();
        services.TryAddScoped<AppSignInGate>();
        services.TryAddScoped<AppMfaSettings>();

        services.TryAddSingleton<MfaTwoFactorMarker>();
        services.Configure<IdentityOptions>(identity =>
            identity.Tokens.ProviderMap[MfaTwoFactorMarker.ProviderName] = new TokenProviderDescriptor(typeof(MfaTwoFactorMarker)));
        return services;
    }
}
