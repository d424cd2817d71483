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
            // id.CompareTo(after) < 0, which EF translates to "id < @after" on the uuid column. The cursor is read
            // through a member of a constant, as a lambda's closure would be, so EF sends it as a parameter; a bare
            // constant would be inlined as a literal and make a new SQL text (and cached plan) for every page.
            var cursor = Expression.Property(Expression.Constant(new Cursor(after)), nameof(Cursor.After));
            var before = Expression.LessThan(Expression.Call(id.Body, GuidCompareTo, cursor), Expression.Constant(0));
            query = query.Where(Expression.Lambda<Func<T, bool>>(before, id.Parameters));
        }
        return query.OrderByDescending(id).Take(page.Take + 1);
    }

    private sealed record Cursor(Guid After);
}
