using Latchkey.Client.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the simple-sso client handler.</summary>
public static class SimpleSsoAuthenticationBuilderExtensions
{
    /// <summary>Adds simple-sso sign-in under the scheme <c>SimpleSso</c>.</summary>
    public static AuthenticationBuilder AddSimpleSso(this AuthenticationBuilder builder, Action<SimpleSsoOptions> configure) =>
        builder.AddSimpleSso(SimpleSsoDefaults.AuthenticationScheme, configure);

    /// <summary>Adds simple-sso sign-in under <paramref name="authenticationScheme"/>.</summary>
    public static AuthenticationBuilder AddSimpleSso(this AuthenticationBuilder builder, string authenticationScheme, Action<SimpleSsoOptions> configure) =>
        builder.AddSimpleSso(authenticationScheme, SimpleSsoDefaults.DisplayName, configure);

    /// <summary>Adds simple-sso sign-in; options are validated when the host starts.</summary>
    public static AuthenticationBuilder AddSimpleSso(this AuthenticationBuilder builder, string authenticationScheme, string? displayName, Action<SimpleSsoOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<SimpleSsoOptions>, SimpleSsoPostConfigureOptions>());

        // Single logout: ended SSO sessions and seen notices live in IDistributedCache (in memory unless the app registers a shared one).
        builder.Services.AddDistributedMemoryCache();
        builder.Services.TryAddSingleton<SimpleSsoSessionStore>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>, SimpleSsoSessionValidation>());
        builder.Services.AddOptions<SimpleSsoOptions>(authenticationScheme).ValidateOnStart();
        return builder.AddRemoteScheme<SimpleSsoOptions, SimpleSsoHandler>(authenticationScheme, displayName, configure);
    }
}
