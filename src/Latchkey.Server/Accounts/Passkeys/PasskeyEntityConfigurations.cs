using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Accounts.Passkeys;

/// <summary>Maps <see cref="PasskeyCeremony"/>.</summary>
public sealed class PasskeyCeremonyConfiguration : IEntityTypeConfiguration<PasskeyCeremony>
{
    public void Configure(EntityTypeBuilder<PasskeyCeremony> builder)
    {
        builder.ToTable("PasskeyCeremonies");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Kind).HasMaxLength(16);
        builder.Property(c => c.State).HasMaxLength(8192);
        builder.HasIndex(c => c.ExpiresAt);
    }
}

/// <summary>
/// Identity's passkey table, mapped here with the shape Identity's schema version 3 gives it (<c>AspNetUserPasskeys</c>: the
/// credential id as key, the rest as one JSON column). Identity picks its schema version from <c>IdentityOptions</c> in DI, which
/// design-time migrations and plain test contexts do not have, and versions 2 and 3 would also alter existing tables; mapping the
/// one table explicitly keeps every model identical. Adds what Identity lacks: when each passkey was last used (shown to the user,
/// who can then spot one they no longer recognise), as a shadow column so Identity's entity and store stay untouched.
/// </summary>
public sealed class IdentityUserPasskeyConfiguration : IEntityTypeConfiguration<IdentityUserPasskey<Guid>>
{
    public const string LastUsedAt = nameof(LastUsedAt);

    public void Configure(EntityTypeBuilder<IdentityUserPasskey<Guid>> builder)
    {
        builder.ToTable("AspNetUserPasskeys");
        builder.HasKey(p => p.CredentialId);
        // WebAuthn caps credential ids at 1023 bytes.
        builder.Property(p => p.CredentialId).HasMaxLength(1024);
        builder.OwnsOne(p => p.Data).ToJson();
        builder.HasOne<Latchkey.Server.Storage.LatchkeyUser>().WithMany().HasForeignKey(p => p.UserId).IsRequired().OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(p => p.UserId);
        builder.Property<DateTimeOffset?>(LastUsedAt);
    }
}
