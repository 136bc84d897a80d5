using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Audit;

/// <summary>One row of the audit log. Rows are only ever inserted (and moved to archives by retention).</summary>
public sealed class AuditEntry
{
    /// <summary>1, 2, 3… without gaps; assigned under the chain lock.</summary>
    public long Sequence { get; set; }

    /// <summary>When the event happened (UTC, millisecond precision so every provider stores it exactly).</summary>
    public DateTimeOffset Time { get; set; }

    public required string Event { get; set; }

    public AuditOutcome Outcome { get; set; }

    public Guid? ActorId { get; set; }

    public string? ActorName { get; set; }

    public Guid? SubjectId { get; set; }

    public string? SubjectName { get; set; }

    public string? App { get; set; }

    public string? IpAddress { get; set; }

    public string? UserAgent { get; set; }

    /// <summary>A JSON object of string values with keys in ordinal order, exactly as hashed.</summary>
    public string? Details { get; set; }

    /// <summary><see cref="Hash"/> of the previous entry (or of the last archived one); 64 zeros for the first.</summary>
    public required string PreviousHash { get; set; }

    /// <summary>Lowercase hex HMAC-SHA256 of the canonical form (see <see cref="AuditChain"/>).</summary>
    public required string Hash { get; set; }

    /// <summary>Id of the master key the HMAC key was derived from, so entries survive a master key rotation.</summary>
    public required string KeyId { get; set; }
}

/// <summary>
/// Where an archive file ends: the last archived entry's sequence and hash, so <c>audit verify</c> can check
/// the first remaining entry links to it. Authenticated with the chain key like the entries.
/// </summary>
public sealed class AuditArchiveCheckpoint
{
    /// <summary>Last sequence in the archive file.</summary>
    public long LastSequence { get; set; }

    public long FirstSequence { get; set; }

    /// <summary>Hash of entry <see cref="LastSequence"/>.</summary>
    public required string LastHash { get; set; }

    /// <summary>File name inside <c>&lt;data&gt;/audit-archive/</c>.</summary>
    public required string FileName { get; set; }

    /// <summary>Lowercase hex SHA-256 of the compressed file.</summary>
    public required string FileSha256 { get; set; }

    public DateTimeOffset ArchivedAt { get; set; }

    /// <summary>HMAC over the fields above, like an entry's hash.</summary>
    public required string Mac { get; set; }

    public required string KeyId { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entry)
    {
        entry.ToTable("AuditEntries");
        entry.HasKey(e => e.Sequence);
        entry.Property(e => e.Sequence).ValueGeneratedNever();
        entry.Property(e => e.Event).HasMaxLength(AuditLimits.Event);
        entry.Property(e => e.Outcome).HasConversion<string>().HasMaxLength(16);
        entry.Property(e => e.ActorName).HasMaxLength(AuditLimits.Name);
        entry.Property(e => e.SubjectName).HasMaxLength(AuditLimits.Name);
        entry.Property(e => e.App).HasMaxLength(AuditLimits.Name);
        entry.Property(e => e.IpAddress).HasMaxLength(64);
        entry.Property(e => e.UserAgent).HasMaxLength(AuditLimits.UserAgent);
        entry.Property(e => e.PreviousHash).HasMaxLength(64);
        entry.Property(e => e.Hash).HasMaxLength(64);
        entry.Property(e => e.KeyId).HasMaxLength(32);
        entry.HasIndex(e => e.Time);
        entry.HasIndex(e => new { e.Event, e.Sequence });
        entry.HasIndex(e => e.ActorId);
        entry.HasIndex(e => e.SubjectId);
        entry.HasIndex(e => e.App);
    }
}

internal sealed class AuditArchiveCheckpointConfiguration : IEntityTypeConfiguration<AuditArchiveCheckpoint>
{
    public void Configure(EntityTypeBuilder<AuditArchiveCheckpoint> checkpoint)
    {
        checkpoint.ToTable("AuditArchiveCheckpoints");
        checkpoint.HasKey(c => c.LastSequence);
        checkpoint.Property(c => c.LastSequence).ValueGeneratedNever();
        checkpoint.Property(c => c.LastHash).HasMaxLength(64);
        checkpoint.Property(c => c.FileName).HasMaxLength(255);
        checkpoint.Property(c => c.FileSha256).HasMaxLength(64);
        checkpoint.Property(c => c.Mac).HasMaxLength(64);
        checkpoint.Property(c => c.KeyId).HasMaxLength(32);
    }
}

/// <summary>Column sizes; longer values are cut before hashing so what is stored is what was hashed.</summary>
internal static class AuditLimits
{
    public const int Event = 64;
    public const int Name = 256;
    public const int UserAgent = 512;
    public const int DetailValue = 1024;
}
