using System.Linq.Expressions;

namespace Webhooks.Api.Features.Shared;

internal static class QueryableExtensions
{
    private static readonly System.Reflection.MethodInfo GuidCompareTo = typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!;

    /// <summary>Newest first, after the cursor's id, one row more than the page so the caller knows if there is more.</summary>
    public static IQueryable<T> PageByIdDescending<T>(this IQueryable<T> query, PageRequest page, Expression<Func<T, Guid>> id)
    {
        if (page.After is { } after)
        {
            // id.CompareTo(after) < 0, which EF translates to "id < @after" on the uuid column.
            var before = Expression.LessThan(Expression.Call(id.Body, GuidCompareTo, Expression.Constant(after)), Expression.Constant(0));
            query = query.Where(Expression.Lambda<Func<T, bool>>(before, id.Parameters));
        }
        return query.OrderByDescending(id).Take(page.Take + 1);
    }
}
