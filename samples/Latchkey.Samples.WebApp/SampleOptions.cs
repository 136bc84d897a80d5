using System.ComponentModel.DataAnnotations;

namespace Latchkey.Samples.WebApp;

/// <summary>Section <c>Sample</c>: how this instance presents itself.</summary>
public sealed class SampleOptions
{
    /// <summary>Shown on every page and part of the cookie names, so instances never share cookies.</summary>
    [Required, MaxLength(64)]
    public string Name { get; set; } = "Sample";

    /// <summary>
    /// Sign out of the SSO server too (Latchkey's single-logout extension): "Sign out" ends the SSO session, and every app that
    /// took part is told. Turn off against a django-simple-sso server, which has no logout endpoint.
    /// </summary>
    public bool SingleLogout { get; set; } = true;

    /// <summary>The name reduced to characters that are safe in a cookie name.</summary>
    public string CookieSafeName => new(Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
}
