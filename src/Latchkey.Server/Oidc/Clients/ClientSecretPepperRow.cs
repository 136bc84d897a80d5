using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Oidc.Clients;

/// <summary>
/// The single row holding the server pepper for client-secret hashes, encrypted with Data
/// Protection (purpose <c>Latchkey.ClientSecretPepper.v1</c>) so every node sharing the database shares it.
/// </summary>
public sealed class ClientSecretPepperRow
{
    /// <summary>Always <see cref="SingletonId"/>: the primary key makes a concurrent second creation fail.</summary>
    public int Id { get; set; }

    public const int SingletonId = 1;

    public required string ProtectedPepper { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ClientSecretPepperRowConfiguration : IEntityTypeConfiguration<ClientSecretPepperRow>
{
    public void Configure(EntityTypeBuilder<ClientSecretPepperRow> row)
    {
        row.ToTable("OidcClientSecretPepper");
        row.Property(r => r.Id).ValueGeneratedNever();
        row.Property(r => r.ProtectedPepper).HasMaxLength(1024);
    }
}
