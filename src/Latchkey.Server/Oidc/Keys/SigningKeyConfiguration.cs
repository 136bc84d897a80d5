using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Oidc.Keys;

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> key)
    {
        key.ToTable("OidcSigningKeys");
        key.Property(k => k.Kid).HasMaxLength(64);
        key.HasIndex(k => k.Kid).IsUnique();
        key.Property(k => k.Algorithm).HasMaxLength(16);
        key.Property(k => k.ProtectedPrivateKey).HasMaxLength(8192);
    }
}
