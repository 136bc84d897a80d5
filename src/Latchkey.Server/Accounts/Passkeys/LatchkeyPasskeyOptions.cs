namespace Latchkey.Server.Accounts.Passkeys;

/// <summary><c>Latchkey:Passkeys</c>: the WebAuthn relying party. Validated at startup by <see cref="PasskeyOptionsValidator"/>.</summary>
public sealed class LatchkeyPasskeyOptions
{
    /// <summary>
    /// The relying-party id: a registrable domain such as <c>login.example.org</c> (no scheme, no port). Passkeys are bound to it
    /// for good, so changing it later orphans every registered passkey. Unset: the host of each request (fine for a dev run).
    /// </summary>
    public string? ServerDomain { get; set; }

    /// <summary>
    /// Origins allowed to run a ceremony, e.g. <c>https://login.example.org</c>. Unset: the origin the request was made to
    /// (scheme, host and port as Latchkey sees them, so behind a proxy configure forwarded headers or list the origins here).
    /// </summary>
    public List<string> Origins { get; set; } = [];

    /// <summary>How long a registration or sign-in challenge stays usable; each is usable once.</summary>
    public TimeSpan CeremonyLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Adding a passkey needs a sign-in at most this old: a passkey outlives the session, so a borrowed or stolen session must not
    /// be able to plant one for later.
    /// </summary>
    public TimeSpan RegistrationMaxAuthenticationAge { get; set; } = TimeSpan.FromMinutes(15);
}
