namespace Latchkey.Server.Hosting;

/// <summary>
/// Marks a page whose form submission legitimately ends, after redirects, on another origin (the login
/// page: POST → local return URL → simple-sso/OIDC redirect to the client). Chromium and WebKit check
/// CSP <c>form-action</c> on every redirect hop of a form submission, so such pages are served without
/// <c>form-action</c>; all other pages keep <c>form-action 'self'</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class PermitCrossOriginFormRedirectsAttribute : Attribute;
