using Microsoft.EntityFrameworkCore;
using Webhooks.Api.Features.Shared;
using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.Webhooks;

internal static class WebhookQueries
{
    /// <summary>The tenant's webhooks that are not deleted: the only ones any webhook route may see. Another tenant's
    /// or a deleted webhook is simply not found.</summary>
    public static IQueryable<Webhook> VisibleTo(this DbSet<Webhook> webhooks, Guid tenantId) =>
        webhooks.Where(w => w.TenantId == tenantId && w.DeletedAt == null);

    /// <summary>The answer for an id that is not one of <see cref="VisibleTo"/>: the same whether it never existed,
    /// was deleted or belongs to another tenant, so ids of other tenants cannot be probed.</summary>
    public static IResult NotFound() => Problems.NotFound("webhook");
}
