namespace Webhooks.Events;

/// <summary><c>customer.updated</c>: a customer's details changed; the customer as they now are.</summary>
public sealed record CustomerUpdated(
    string CustomerId,
    string Name,
    string? Email,
    string? Phone,
    DateTimeOffset UpdatedAt) : IWebhookEvent<CustomerUpdated>
{
    public static string Type => "customer.updated";
    public static string Description => "A customer was changed.";

    public static CustomerUpdated Example => new("C-2001", "Ada King", "ada@example.com", "+1 555 0100",
        new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));
}
