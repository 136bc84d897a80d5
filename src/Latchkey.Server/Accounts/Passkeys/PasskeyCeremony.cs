namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>
/// A WebAuthn challenge handed to a browser and not used yet. Kept server-side (not in a cookie) so each is usable exactly once
/// (consuming deletes the row) and on every node; expired rows are swept when new ones are written.
/// </summary>
public sealed class PasskeyCeremony
{
    public Guid Id { get; set; }

    /// <summary>One of <see cref="PasskeyCeremonyKinds"/>; a challenge issued for one purpose never completes another.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The user the ceremony is for (registration, second factor); null for passwordless sign-in.</summary>
    public Guid? UserId { get; set; }

    /// <summary>Identity's attestation/assertion state (the challenge and user entity); no secret.</summary>
    public string State { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>What a <see cref="PasskeyCeremony"/> was issued for.</summary>
public static class PasskeyCeremonyKinds
{
    public const string Register = "register";
    public const string SignIn = "signin";
    public const string SecondFactor = "second-factor";
}
