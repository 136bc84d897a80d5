using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Storage;

/// <summary>
/// The one database of a Latchkey deployment: users, consumers, simple-sso tokens and the Data
/// Protection key ring. Each provider has a subclass only so that it owns its migrations.
/// </summary>
public abstract class LatchkeyDbContext(DbContextOptions options)
    : IdentityDbContext<LatchkeyUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<Consumer> Consumers => Set<Consumer>();

    public DbSet<ConsumerKey> ConsumerKeys => Set<ConsumerKey>();

    public DbSet<SimpleSsoToken> SimpleSsoTokens => Set<SimpleSsoToken>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        // Each feature folder maps its own entities with IEntityTypeConfiguration<T> classes.
        builder.ApplyConfigurationsFromAssembly(typeof(LatchkeyDbContext).Assembly);

        // OpenIddict's applications, authorizations, scopes and tokens, keyed by Guid like everything else.
        builder.UseOpenIddict<Guid>();

        builder.Entity<LatchkeyUser>(user =>
        {
            user.Property(u => u.FirstName).HasMaxLength(150);
            user.Property(u => u.LastName).HasMaxLength(150);
        });

        builder.Entity<Consumer>(consumer =>
        {
            consumer.ToTable("Consumers");
            consumer.Property(c => c.Name).HasMaxLength(255);
            consumer.HasIndex(c => c.Name).IsUnique();
            consumer.HasMany(c => c.Keys).WithOne(k => k.Consumer).HasForeignKey(k => k.ConsumerId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<ConsumerKey>(key =>
        {
            key.ToTable("ConsumerKeys");
            key.Property(k => k.PublicKey).HasMaxLength(64);
            key.HasIndex(k => k.PublicKey).IsUnique();
            key.Property(k => k.ProtectedPrivateKey).HasMaxLength(1024);
        });

        builder.Entity<SimpleSsoToken>(token =>
        {
            token.ToTable("SimpleSsoTokens");
            token.Property(t => t.RequestTokenHash).HasMaxLength(64);
            token.Property(t => t.AccessTokenHash).HasMaxLength(64);
            token.Property(t => t.RedirectTo).HasMaxLength(2048);
            token.HasIndex(t => t.RequestTokenHash).IsUnique();
            token.HasIndex(t => t.AccessTokenHash).IsUnique();
            token.HasIndex(t => t.ExpiresAt);
            token.HasOne(t => t.Consumer).WithMany().HasForeignKey(t => t.ConsumerId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}

/// <summary>SQLite flavour: the embedded default.</summary>
public sealed class SqliteLatchkeyDbContext(DbContextOptions<SqliteLatchkeyDbContext> options) : LatchkeyDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or order DateTimeOffset columns; all our times are UTC, so a
        // binary (ticks) encoding keeps ordering and lets expiry queries run in the database.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
    }
}

/// <summary>PostgreSQL flavour: for several nodes sharing one database.</summary>
public sealed class PostgreSqlLatchkeyDbContext(DbContextOptions<PostgreSqlLatchkeyDbContext> options) : LatchkeyDbContext(options);
