using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Core.Data;

/// <summary>The whole domain of DESIGN.md; Postgres is the source of truth, Redis only holds the schedule.</summary>
public sealed class WebhooksDbContext(DbContextOptions<WebhooksDbContext> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<EventType> EventTypes => Set<EventType>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<Event> Events => Set<Event>();
    public DbSet<IdempotencyKey> IdempotencyKeys => Set<IdempotencyKey>();
    public DbSet<Delivery> Deliveries => Set<Delivery>();
    public DbSet<DeliveryAttempt> DeliveryAttempts => Set<DeliveryAttempt>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<PortalLink> PortalLinks => Set<PortalLink>();
    public DbSet<PortalSession> PortalSessions => Set<PortalSession>();
    public DbSet<EncryptionKeyCanary> EncryptionKeyCanaries => Set<EncryptionKeyCanary>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(WebhooksDbContext).Assembly);
}
