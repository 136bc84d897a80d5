using System.Diagnostics.CodeAnalysis;
using Latchkey.SimpleSso;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Pages.Account;

/// <summary>Where the account pages may send a browser afterwards.</summary>
internal static class ReturnUrls
{
    /// <summary>
    /// Only a path on this site: ASP.NET Core's notion of local and the stricter simple-sso one
    /// (no <c>///host</c>, backslashes, control characters or encoded variants) must both agree.
    /// </summary>
    public static bool IsSafe(IUrlHelper url, [NotNullWhen(true)] string? returnUrl) =>
        url.IsLocalUrl(returnUrl) && LocalRedirect.IsSafeLocalPath(returnUrl);
}
