using FastEndpoints;
using FluentValidation;

namespace Webhooks.Api.Features.Shared;

/// <summary><c>?limit=</c> (default 50, max 500) and <c>?cursor=</c> (opaque, from the previous page's <c>nextCursor</c>).
/// Lists are newest first; ids are UUIDv7, so id order is creation order.</summary>
public abstract class PageRequest
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    [QueryParam] public int? Limit { get; init; }
    [QueryParam] public string? Cursor { get; init; }

    public int Take => Limit ?? DefaultLimit;

    /// <summary>The id after which this page starts, or null for the first page. Valid once validated.</summary>
    public Guid? After => Cursor is null ? null : PageCursor.Decode(Cursor);
}

/// <summary>Validation shared by every paged request; derive a request's validator from it.</summary>
public abstract class PageRequestValidator<T> : Validator<T> where T : PageRequest
{
    protected PageRequestValidator()
    {
        RuleFor(r => r.Limit).InclusiveBetween(1, PageRequest.MaxLimit).When(r => r.Limit is not null)
            .WithMessage($"limit must be between 1 and {PageRequest.MaxLimit}.");
        RuleFor(r => r.Cursor).Must(c => PageCursor.TryDecode(c!, out _)).When(r => r.Cursor is not null)
            .WithMessage("cursor is not a cursor this API returned.");
    }
}

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public static class PageCursor
{
    public static string Encode(Guid lastId) =>
        Convert.ToBase64String(lastId.ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string cursor, out Guid id)
    {
        id = Guid.Empty;
        if (cursor.Length != 22) return false;
        Span<byte> bytes = stackalloc byte[16];
        var base64 = cursor.Replace('-', '+').Replace('_', '/') + "==";
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != 16) return false;
        id = new Guid(bytes);
        return true;
    }

    public static Guid Decode(string cursor) =>
        TryDecode(cursor, out var id) ? id : throw new FormatException("Invalid cursor.");

    /// <summary>Builds a page from up to <c>take + 1</c> rows fetched newest first: the extra row only says there is more.</summary>
    public static Page<TOut> ToPage<TRow, TOut>(IReadOnlyList<TRow> rows, int take, Func<TRow, Guid> id, Func<TRow, TOut> map)
    {
        var items = rows.Take(take).Select(map).ToList();
        var next = rows.Count > take ? Encode(id(rows[take - 1])) : null;
        return new Page<TOut>(items, next);
    }
}
