using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Accounts.Mfa;

/// <summary>A user's confirmed TOTP authenticator (at most one per user).</summary>
public sealed class TotpAuthenticator
{
    public Guid UserId { get; set; }

    /// <summary>The shared secret, encrypted with Data Protection (purpose <see cref="TotpSecretProtector.Purpose"/>).</summary>
    public required string ProtectedSecret { get; set; }

    /// <summary>The RFC 6238 time step of the last accepted code; a code for this step or an earlier one is a replay.</summary>
    public long LastUsedTimeStep { get; set; }

    public DateTimeOffset EnabledAt { get; set; }
}

/// <summary>One unused recovery code; consuming it deletes the row.</summary>
public sealed class RecoveryCode
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    /// <summary>SHA-256 (hex) of the user id and the normalised code; the codes carry 80 random bits, so a fast hash is enough.</summary>
    public required string CodeHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The one outstanding email one-time code of a user (a new one replaces it).</summary>
public sealed class EmailOneTimeCode
{
    public Guid UserId { get; set; }

    public required string CodeHash { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Wrong guesses left before the code is void.</summary>
    public int AttemptsLeft { get; set; }
}

internal sealed class TotpAuthenticatorConfiguration : IEntityTypeConfiguration<TotpAuthenticator>
{
    public void Configure(EntityTypeBuilder<TotpAuthenticator> builder)
    {
        builder.ToTable("MfaTotpAuthenticators");
        builder.HasKey(t => t.UserId);
        builder.Property(t => t.ProtectedSecret).HasMaxLength(1024);
        builder.HasOne<LatchkeyUser>().WithOne().HasForeignKey<TotpAuthenticator>(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCode>
{
    public void Configure(EntityTypeBuilder<RecoveryCode> builder)
    {
        builder.ToTable("MfaRecoveryCodes");
        builder.Property(c => c.CodeHash).HasMaxLength(64);
        builder.HasIndex(c => new { c.UserId, c.CodeHash }).IsUnique();
        builder.HasOne<LatchkeyUser>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class EmailOneTimeCodeConfiguration : IEntityTypeConfiguration<EmailOneTimeCode>
{
    public void Configure(EntityTypeBuilder<EmailOneTimeCode> builder)
    {
        builder.ToTable("MfaEmailCodes");
        builder.HasKey(c => c.UserId);
        builder.Property(c => c.CodeHash).HasMaxLength(64);
        builder.HasOne<LatchkeyUser>().WithOne().HasForeignKey<EmailOneTimeCode>(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
