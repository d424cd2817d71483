namespace Webhooks.Client;

/// <summary>A page of a list, newest first. Pass <see cref="NextCursor"/> back as <c>cursor</c> for the next page;
/// it is null on the last.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
