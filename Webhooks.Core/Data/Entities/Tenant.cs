namespace Webhooks.Core.Data.Entities;

public sealed class Tenant
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Null only for the moment between inserting the tenant and its owner (they reference each other).</summary>
    public Guid? OwnerUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
