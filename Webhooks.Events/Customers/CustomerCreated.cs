using System.ComponentModel;

namespace Webhooks.Events;

/// <summary><c>customer.created</c>: a customer was added.</summary>
public sealed record CustomerCreated(
    string CustomerId,
    [property: Description("Full name.")] string Name,
    string? Email,
    [property: Description("Phone number as entered, or null.")] string? Phone,
    [property: Description("The store where the customer was added.")] string StoreId,
    DateTimeOffset CreatedAt) : IWebhookEvent<CustomerCreated>
{
    public static string Type => "customer.created";
    public static string Description => "A customer was added.";

    public static CustomerCreated Example => new("C-2001", "Ada Lovelace", "ada@example.com", "+1 555 0100", "store-12",
        new DateTimeOffset(2026, 11, 28, 13, 58, 0, TimeSpan.Zero));
}
