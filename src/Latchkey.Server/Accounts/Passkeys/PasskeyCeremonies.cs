using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Hosting;
using Latchkey.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>Options to hand to <c>navigator.credentials.create/get</c>, and the id of the one-time ceremony they belong to.</summary>
public sealed record PasskeyChallenge(Guid CeremonyId, string OptionsJson);

/// <summary>Why a ceremony was refused, as data: a stable code for scripts and a sentence for people.</summary>
public sealed record PasskeyFailure(int Status, string Code, string Message)
{
    public static readonly PasskeyFailure UnknownCeremony = new(400, "unknown_ceremony",
        "This passkey request is unknown or was already used. Start again.");
    public static readonly PasskeyFailure ExpiredCeremony = new(400, "expired_ceremony",
        "This passkey request has expired. Start again.");
    public static readonly PasskeyFailure WrongCeremony = new(400, "wrong_ceremony",
        "This passkey request was started for something else. Start again.");
    public static readonly PasskeyFailure InvalidCredential = new(400, "invalid_credential",
        "The passkey response could not be verified.");
    public static readonly PasskeyFailure UnknownCredential = new(400, "unknown_credential",
        "This passkey is not registered here. Sign in another way and register it on your account page.");
    public static readonly PasskeyFailure UserVerificationRequired = new(400, "user_verification_required",
        "Signing in with only a passkey needs the passkey to verify you (PIN, fingerprint or face). Sign in with your password and use this passkey as a second factor.");
    public static readonly PasskeyFailure NotAllowed = new(403, "not_allowed",
        "This account cannot sign in right now.");
    public static readonly PasskeyFailure LockedOut = new(429, "locked_out",
        "Too many failed attempts. Try again later.");
    public static readonly PasskeyFailure TooManyPasskeys = new(400, "too_many_passkeys",
        $"An account can hold at most {PasskeyCeremonies.MaxPasskeysPerUser} passkeys. Remove one first.");
    public static readonly PasskeyFailure AlreadyRegistered = new(400, "already_registered",
        "This passkey is already registered.");
}

/// <summary>A verified assertion: the user, the passkey used and whether the authenticator verified the user (PIN/biometric).</summary>
public sealed record PasskeyAssertion(LatchkeyUser User, byte[] CredentialId, string PasskeyName, bool UserVerified);

/// <summary>Outcome of a ceremony: a value or a <see cref="PasskeyFailure"/>, never an exception for bad input.</summary>
public sealed record PasskeyOutcome<T>(T? Value, PasskeyFailure? Failure, LatchkeyUser? AttemptedUser = null)
    where T : class
{
    public static PasskeyOutcome<T> Fail(PasskeyFailure failure, LatchkeyUser? attemptedUser = null) => new(null, failure, attemptedUser);
}

/// <summary>
/// Runs WebAuthn registration and authentication ceremonies with ASP.NET Core Identity's passkey handler, keeping each challenge
/// server-side as a one-time <see cref="PasskeyCeremony"/> row instead of Identity's cookie (which a captured request could
/// replay, and which would collide with the two-factor cookie). Verification never writes anything on failure; on success it
/// stores the new sign count, backup state and last-used time.
/// </summary>
public sealed class PasskeyCeremonies(
    LatchkeyDbContext db,
    IPasskeyHandler<LatchkeyUser> handler,
    UserManager<LatchkeyUser> users,
    PasskeyCredentials credentials,
    TimeProvider time,
    IOptions<LatchkeyOptions> options,
    ILogger<PasskeyCeremonies> logger)
{
    /// <summary>Bounds the exclude/allow lists every ceremony sends to the browser.</summary>
    public const int MaxPasskeysPerUser = 25;

    // WebAuthn authenticator data: 32-byte RP id hash, then the flags byte; bit 2 is "user verified".
    private const int FlagsOffset = 32;
    private const byte UserVerifiedFlag = 0x04;

    public async Task<PasskeyChallenge> BeginRegistrationAsync(LatchkeyUser user, HttpContext http, CancellationToken ct)
    {
        var displayName = $"{user.FirstName} {user.LastName}".Trim();
        var entity = new PasskeyUserEntity
        {
            // The user handle is the opaque id, never the name or email: authenticators may show or sync it.
            Id = user.Id.ToString(),
            Name = user.UserName ?? user.Id.ToString(),
            DisplayName = displayName.Length > 0 ? displayName : user.UserName ?? "",
        };
        var created = await handler.MakeCreationOptionsAsync(entity, http);
        var id = await StoreAsync(PasskeyCeremonyKinds.Register, user.Id, created.AttestationState ?? throw new InvalidOperationException("Identity returned no attestation state."), ct);
        return new PasskeyChallenge(id, created.CreationOptionsJson);
    }

    /// <summary>Options for a sign-in: any discoverable passkey (user null, passwordless) or one of <paramref name="user"/>'s (second factor).</summary>
    public async Task<PasskeyChallenge> BeginAssertionAsync(LatchkeyUser? user, HttpContext http, CancellationToken ct)
    {
        var requested = await handler.MakeRequestOptionsAsync(user, http);
        var optionsJson = requested.RequestOptionsJson;
        if (user is null)
        {
            // A passkey alone must be two factors (possession + PIN/biometric); ask for verification up front.
            var node = JsonNode.Parse(optionsJson)!.AsObject();
            node["userVerification"] = "required";
            optionsJson = node.ToJsonString();
        }

        var kind = user is null ? PasskeyCeremonyKinds.SignIn : PasskeyCeremonyKinds.SecondFactor;
        var id = await StoreAsync(kind, user?.Id, requested.AssertionState ?? throw new InvalidOperationException("Identity returned no assertion state."), ct);
        return new PasskeyChallenge(id, optionsJson);
    }

    public async Task<PasskeyOutcome<PasskeySummary>> CompleteRegistrationAsync(
        LatchkeyUser user, Guid ceremonyId, string credentialJson, string name, HttpContext http, CancellationToken ct)
    {
        var (ceremony, failure) = await ConsumeAsync(ceremonyId, PasskeyCeremonyKinds.Register, user.Id, ct);
        if (failure is not null)
        {
            return PasskeyOutcome<PasskeySummary>.Fail(failure);
        }

        if (await credentials.CountAsync(user.Id, ct) >= MaxPasskeysPerUser)
        {
            return PasskeyOutcome<PasskeySummary>.Fail(PasskeyFailure.TooManyPasskeys);
        }

        var result = await handler.PerformAttestationAsync(new PasskeyAttestationContext
        {
            HttpContext = http,
            CredentialJson = credentialJson,
            AttestationState = ceremony!.State,
        });
        if (!result.Succeeded)
        {
            logger.LogInformation("Passkey registration for user {UserId} refused: {Reason}", user.Id, result.Failure.Message);
            return PasskeyOutcome<PasskeySummary>.Fail(
                result.Failure.Message.Contains("already registered", StringComparison.OrdinalIgnoreCase)
                    ? PasskeyFailure.AlreadyRegistered
                    : PasskeyFailure.InvalidCredential);
        }

        if (!string.Equals(result.UserEntity.Id, user.Id.ToString(), StringComparison.Ordinal))
        {
            return PasskeyOutcome<PasskeySummary>.Fail(PasskeyFailure.WrongCeremony);
        }

        var passkey = result.Passkey;
        passkey.Name = name;
        var saved = await users.AddOrUpdatePasskeyAsync(user, passkey);
        if (!saved.Succeeded)
        {
            // A concurrent change to the user row (the store saves both together); nothing was stored.
            logger.LogWarning("Passkey of user {UserId} not saved: {Errors}", user.Id, string.Join(", ", saved.Errors.Select(e => e.Code)));
            return PasskeyOutcome<PasskeySummary>.Fail(new PasskeyFailure(409, "conflict", "Your account changed meanwhile. Try again."));
        }

        return new PasskeyOutcome<PasskeySummary>(
            new PasskeySummary(PasskeyCredentials.EncodeId(passkey.CredentialId), name, passkey.CreatedAt, null, passkey.IsUserVerified, passkey.IsBackedUp, passkey.Transports ?? []),
            null);
    }

    /// <summary>
    /// Verifies an assertion for a ceremony begun with <see cref="BeginAssertionAsync"/>. <paramref name="expectedUserId"/> is the
    /// user a second-factor ceremony was begun for (null for passwordless). Disabled and locked-out users are refused after
    /// verification, without storing anything. <see cref="PasskeyOutcome{T}.AttemptedUser"/> names the owner of the presented
    /// credential when verification failed, so the caller can count the failure toward lockout.
    /// </summary>
    public async Task<PasskeyOutcome<PasskeyAssertion>> CompleteAssertionAsync(
        Guid ceremonyId, Guid? expectedUserId, string credentialJson, HttpContext http, CancellationToken ct)
    {
        var kind = expectedUserId is null ? PasskeyCeremonyKinds.SignIn : PasskeyCeremonyKinds.SecondFactor;
        var (ceremony, failure) = await ConsumeAsync(ceremonyId, kind, expectedUserId, ct);
        if (failure is not null)
        {
            return PasskeyOutcome<PasskeyAssertion>.Fail(failure);
        }

        var presented = ReadAssertionFacts(credentialJson);
        var owner = presented.CredentialId is { } presentedId ? await users.FindByPasskeyIdAsync(presentedId) : null;
        if (owner is null || (expectedUserId is { } expected && owner.Id != expected))
        {
            return PasskeyOutcome<PasskeyAssertion>.Fail(PasskeyFailure.UnknownCredential, expectedUserId is null ? null : owner);
        }

        var result = await handler.PerformAssertionAsync(new PasskeyAssertionContext
        {
            HttpContext = http,
            CredentialJson = credentialJson,
            AssertionState = ceremony!.State,
        });
        if (!result.Succeeded)
        {
            logger.LogInformation("Passkey assertion for user {UserId} refused: {Reason}", owner.Id, result.Failure.Message);
            return PasskeyOutcome<PasskeyAssertion>.Fail(PasskeyFailure.InvalidCredential, owner);
        }

        var user = result.User;
        if (user.Id != owner.Id)
        {
            return PasskeyOutcome<PasskeyAssertion>.Fail(PasskeyFailure.InvalidCredential, owner);
        }

        // The signature covers the authenticator data, so its flags can be trusted now.
        var userVerified = presented.UserVerified;
        if (expectedUserId is null && !userVerified)
        {
            // A genuine signature without PIN/biometric is no guess at anything: not counted toward lockout.
            return PasskeyOutcome<PasskeyAssertion>.Fail(PasskeyFailure.UserVerificationRequired);
        }

        if (!user.IsActive)
        {
            return PasskeyOutcome<PasskeyAssertion>.Fail(PasskeyFailure.NotAllowed, user);
        }

        if (await users.IsLockedOutAsync(user))
        {
            return PasskeyOutcome<PasskeyAssertion>.Fail(PasskeyFailure.LockedOut, user);
        }

        var verified = result.Passkey;
        await SaveUseAsync(user.Id, verified, ct);
        return new PasskeyOutcome<PasskeyAssertion>(new PasskeyAssertion(user, verified.CredentialId, verified.Name ?? "Passkey", userVerified), null);
    }

    private async Task SaveUseAsync(Guid userId, UserPasskeyInfo verified, CancellationToken ct)
    {
        // Written directly (not through UserManager, which also rewrites the user row and would lose to any concurrent
        // sign-in bookkeeping): the new counter is what makes a cloned authenticator detectable next time.
        var id = verified.CredentialId;
        var row = await db.Set<IdentityUserPasskey<Guid>>().SingleOrDefaultAsync(p => p.UserId == userId && p.CredentialId == id, ct);
        if (row is null)
        {
            return;
        }

        row.Data.SignCount = verified.SignCount;
        row.Data.IsBackedUp = verified.IsBackedUp;
        db.Entry(row).Property(IdentityUserPasskeyConfiguration.LastUsedAt).CurrentValue = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    private async Task<Guid> StoreAsync(string kind, Guid? userId, string state, CancellationToken ct)
    {
        var now = time.GetUtcNow();

        // Sweep as we go: abandoned ceremonies are common (the user closes the dialog) and cost nothing to delete here.
        await db.Set<PasskeyCeremony>().Where(c => c.ExpiresAt <= now).ExecuteDeleteAsync(ct);

        var ceremony = new PasskeyCeremony
        {
            Id = Guid.NewGuid(),
            Kind = kind,
            UserId = userId,
            State = state,
            CreatedAt = now,
            ExpiresAt = now + options.Value.Passkeys.CeremonyLifetime,
        };
        db.Set<PasskeyCeremony>().Add(ceremony);
        await db.SaveChangesAsync(ct);
        db.Entry(ceremony).State = EntityState.Detached;
        return ceremony.Id;
    }

    /// <summary>Takes the ceremony out of the store; only the one request whose delete removed the row may use it.</summary>
    private async Task<(PasskeyCeremony? Ceremony, PasskeyFailure? Failure)> ConsumeAsync(Guid id, string kind, Guid? userId, CancellationToken ct)
    {
        var ceremony = await db.Set<PasskeyCeremony>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (ceremony is null || await db.Set<PasskeyCeremony>().Where(c => c.Id == id).ExecuteDeleteAsync(ct) == 0)
        {
            return (null, PasskeyFailure.UnknownCeremony);
        }

        if (ceremony.ExpiresAt <= time.GetUtcNow())
        {
            return (null, PasskeyFailure.ExpiredCeremony);
        }

        if (ceremony.Kind != kind || ceremony.UserId != userId)
        {
            return (null, PasskeyFailure.WrongCeremony);
        }

        return (ceremony, null);
    }

    private readonly record struct AssertionFacts(byte[]? CredentialId, bool UserVerified);

    /// <summary>The credential id and UV flag as presented; trusted only once the handler has verified the signature.</summary>
    private static AssertionFacts ReadAssertionFacts(string credentialJson)
    {
        try
        {
            using var document = JsonDocument.Parse(credentialJson);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            byte[]? id = null;
            if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String
                && PasskeyCredentials.TryDecodeId(idElement.GetString(), out var decoded))
            {
                id = decoded;
            }

            // Identity verifies against "id"; a different "rawId" is a malformed (or crafted) response.
            if (root.TryGetProperty("rawId", out var rawId)
                && !(rawId.ValueKind == JsonValueKind.String && string.Equals(rawId.GetString(), idElement.GetString(), StringComparison.Ordinal)))
            {
                id = null;
            }

            var verified = false;
            if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object
                && response.TryGetProperty("authenticatorData", out var authData) && authData.ValueKind == JsonValueKind.String
                && authData.GetString() is { } encoded && Base64Url.IsValid(encoded))
            {
                var bytes = Base64Url.DecodeFromChars(encoded);
                verified = bytes.Length > FlagsOffset && (bytes[FlagsOffset] & UserVerifiedFlag) != 0;
            }

            return new AssertionFacts(id, verified);
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
