namespace Webhooks.Events;

/// <summary>
/// The <c>data</c> of one catalog event type. Each record states its type name, what it means and an example, so a
/// publisher writes <c>client.PublishAsync(new SaleCreated(…))</c> and never spells <c>"sale.created"</c> itself.
/// </summary>
/// <typeparam name="TSelf">The record itself.</typeparam>
public interface IWebhookEvent<TSelf> where TSelf : IWebhookEvent<TSelf>
{
    /// <summary>The catalog name, e.g. <c>sale.created</c>: the <c>type</c> of a publish request and of a delivery.</summary>
    static abstract string Type { get; }

    /// <summary>One sentence for people, as <c>GET /v1/event-types</c> shows it.</summary>
    static abstract string Description { get; }

    /// <summary>A realistic instance: the catalog's <c>example</c> and the demo's template.</summary>
    static abstract TSelf Example { get; }
}
