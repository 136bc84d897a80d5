using Latchkey.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Sessions;

internal sealed class SsoSessionConfiguration : IEntityTypeConfiguration<SsoSession>
{
    public void Configure(EntityTypeBuilder<SsoSession> session)
    {
        session.ToTable("SsoSessions");
        session.HasKey(s => s.Id);
        session.Property(s => s.Id).ValueGeneratedNever();
        session.Property(s => s.IpAddress).HasMaxLength(64);
        session.Property(s => s.UserAgent).HasMaxLength(512);
        session.Property(s => s.EndReason).HasMaxLength(64);
        session.Ignore(s => s.IsActive);
        session.HasIndex(s => new { s.UserId, s.EndedAt });
        session.HasIndex(s => s.EndedAt);
        session.HasOne<LatchkeyUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        session.HasMany(s => s.Participants).WithOne().HasForeignKey(p => p.SessionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SsoSessionParticipantConfiguration : IEntityTypeConfiguration<SsoSessionParticipant>
{
    public void Configure(EntityTypeBuilder<SsoSessionParticipant> participant)
    {
        participant.ToTable("SsoSessionParticipants");
        participant.HasKey(p => new { p.SessionId, p.Protocol, p.ClientId });
        participant.Property(p => p.Protocol).HasMaxLength(32);
        participant.Property(p => p.ClientId).HasMaxLength(255);
    }
}

internal sealed class LogoutDeliveryConfiguration : IEntityTypeConfiguration<LogoutDelivery>
{
    public void Configure(EntityTypeBuilder<LogoutDelivery> delivery)
    {
        delivery.ToTable("LogoutDeliveries");
        delivery.HasKey(d => d.Id);
        delivery.Property(d => d.Id).ValueGeneratedNever();
        delivery.Property(d => d.Channel).HasMaxLength(64);
        delivery.Property(d => d.ClientId).HasMaxLength(255);
        delivery.Property(d => d.Endpoint).HasMaxLength(2048);
        delivery.Property(d => d.Subject).HasMaxLength(64);
        delivery.Property(d => d.SubjectName).HasMaxLength(256);
        delivery.Property(d => d.Issuer).HasMaxLength(2048);
        delivery.Property(d => d.LastError).HasMaxLength(512);
        delivery.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        delivery.HasIndex(d => new { d.Status, d.NextAttemptAt });
        delivery.HasIndex(d => d.SessionId);
        delivery.HasIndex(d => d.CompletedAt);

        // No foreign key to the session on purpose: deleting a user deletes their sessions, and the logouts
        // owed for them must still go out. The sweeper deletes finished deliveries after the retention period.
    }
}

/// <summary>The consumer columns single logout and per-app session limits add.</summary>
internal sealed class ConsumerSessionSettingsConfiguration : IEntityTypeConfiguration<Consumer>
{
    public void Configure(EntityTypeBuilder<Consumer> consumer)
    {
        consumer.Property(c => c.BackChannelLogoutUrl).HasMaxLength(2048);
    }
}
