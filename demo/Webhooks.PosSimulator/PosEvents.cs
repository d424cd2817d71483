using Webhooks.Client;
using Webhooks.Events;

namespace Webhooks.PosSimulator;

/// <summary>A small repair shop's day in events: mostly sales, each lowering stock (sometimes below its reorder point),
/// now and then a refund, a customer, a repair order moving along, a purchase order placed or received.</summary>
internal sealed class PosEvents(TimeProvider time)
{
    private const string Store = "store-12";
    private const string Currency = "USD";

    private static readonly (string Sku, string Name, decimal Price, decimal Cost)[] Items =
    [
        ("CASE-IP15-BLK", "iPhone 15 case, black", 19.99m, 6.20m),
        ("SCR-IP15", "Screen protector", 12.50m, 3.10m),
        ("CBL-USBC-1M", "USB-C cable, 1 m", 9.99m, 2.40m),
        ("CHG-20W", "20 W charger", 24.99m, 8.75m),
        ("BAT-IP12", "iPhone 12 battery", 49.00m, 18.00m),
    ];

    private static readonly RepairOrderStatus[] RepairSteps =
        [RepairOrderStatus.Received, RepairOrderStatus.Diagnosing, RepairOrderStatus.AwaitingParts, RepairOrderStatus.InRepair,
         RepairOrderStatus.ReadyForPickup, RepairOrderStatus.Completed];

    private readonly Dictionary<string, int> _stock = Items.ToDictionary(i => i.Sku, _ => 12);
    private int _sales = 1000, _customers = 2000, _repairs = 500, _purchaseOrders = 80, _repairStep;

    /// <summary>Publishes what happened next; returns a line for the log.</summary>
    public async Task<string> PublishNextAsync(WebhooksClient pos, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        switch (Random.Shared.Next(100))
        {
            case < 45:
                return await SellAsync(pos, now, ct);
            case < 52:
                var refunded = new SaleRefunded($"S-{_sales}", $"R-{_sales}", Store, [new RefundLine(Items[0].Sku, 1, 21.69m)], 21.69m, Currency,
                    "Changed their mind", now);
                await pos.PublishAsync(refunded, $"refund-{refunded.RefundId}", ct);
                return $"sale.refunded {refunded.SaleId}";
            case < 60:
                var customer = new CustomerCreated($"C-{++_customers}", Pick(["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"]),
                    $"customer{_customers}@example.com", null, Store, now);
                await pos.PublishAsync(customer, $"customer-{customer.CustomerId}", ct);
                return $"customer.created {customer.CustomerId}";
            case < 64:
                await pos.PublishAsync(new CustomerUpdated($"C-{_customers}", "Ada King", $"customer{_customers}@example.com", "+1 555 0100", now), ct: ct);
                return $"customer.updated C-{_customers}";
            case < 80:
                return await RepairAsync(pos, now, ct);
            case < 88:
                var order = new PurchaseOrderCreated($"PO-{++_purchaseOrders}", "SUP-7", Store,
                    [.. Items.Take(2).Select(i => new PurchaseOrderLine(i.Sku, 20, i.Cost))], Items.Take(2).Sum(i => 20 * i.Cost), Currency,
                    DateOnly.FromDateTime(now.UtcDateTime.AddDays(3)), now);
                await pos.PublishAsync(order, $"po-{order.PurchaseOrderId}", ct);
                return $"purchase_order.created {order.PurchaseOrderId}";
            case < 94:
                var received = new PurchaseOrderReceived($"PO-{_purchaseOrders}", "SUP-7", Store,
                    [.. Items.Take(2).Select(i => new ReceivedLine(i.Sku, 20, Random.Shared.Next(17, 21)))], now);
                foreach (var line in received.Lines) _stock[line.Sku] += line.QuantityReceived;
                await pos.PublishAsync(received, $"po-received-{received.PurchaseOrderId}-{now.ToUnixTimeSeconds()}", ct);
                return $"purchase_order.received {received.PurchaseOrderId}";
            default:
                var item = Pick(Items);
                await pos.PublishAsync(new InventoryCreated($"{item.Sku}-V{Random.Shared.Next(2, 9)}", item.Name + " (new colour)", Store, 10, 3,
                    item.Cost, item.Price, Currency), ct: ct);
                return $"inventory.created {item.Sku}";
        }
    }

    /// <summary>A sale and what it does to stock, published as one batch: the sale, the items' new counts and any
    /// that fell to their reorder point.</summary>
    private async Task<string> SellAsync(WebhooksClient pos, DateTimeOffset now, CancellationToken ct)
    {
        var lines = Items.OrderBy(_ => Random.Shared.Next()).Take(Random.Shared.Next(1, 3))
            .Select(i => new SaleLine(i.Sku, i.Name, Random.Shared.Next(1, 3), i.Price, 0m))
            .Select(l => l with { LineTotal = l.Quantity * l.UnitPrice }).ToList();
        var subtotal = lines.Sum(l => l.LineTotal);
        var tax = Math.Round(subtotal * 0.085m, 2);
        var sale = new SaleCreated($"S-{++_sales}", Store, Random.Shared.Next(3) == 0 ? null : $"C-{Random.Shared.Next(2001, _customers + 1)}",
            lines, subtotal, tax, subtotal + tax, Currency, Pick(["card", "cash", "gift_card"]), now);

        List<BatchEvent> batch = [BatchEvent.Of(sale, $"sale-{sale.SaleId}")];
        foreach (var line in lines)
        {
            var item = Items.Single(i => i.Sku == line.Sku);
            var onHand = _stock[line.Sku] = Math.Max(0, _stock[line.Sku] - line.Quantity);
            batch.Add(BatchEvent.Of(new InventoryUpdated(item.Sku, item.Name, Store, onHand, 5, item.Cost, item.Price, Currency, now)));
            if (onHand <= 5) batch.Add(BatchEvent.Of(new InventoryLowStock(item.Sku, item.Name, Store, onHand, 5, 20, "SUP-7")));
            if (onHand == 0) _stock[line.Sku] = 12; // restocked off-screen, so the day goes on
        }
        await pos.PublishBatchAsync(batch, ct);
        return $"sale.created {sale.SaleId} ({sale.Total} {Currency}) with {batch.Count - 1} inventory events";
    }

    /// <summary>One repair order moving through its statuses, a new one once it is completed.</summary>
    private async Task<string> RepairAsync(WebhooksClient pos, DateTimeOffset now, CancellationToken ct)
    {
        var id = $"RO-{_repairs}";
        if (_repairStep == 0)
        {
            id = $"RO-{++_repairs}";
            await pos.PublishAsync(new RepairOrderCreated(id, Store, $"C-{_customers}", Pick(["iPhone 15", "Pixel 8", "Galaxy S24"]), null,
                Pick(["Cracked screen", "Battery drains fast", "Won't charge"]), RepairOrderStatus.Received, 129.00m, Currency,
                now.AddDays(2), now), $"repair-{id}", ct);
            _repairStep = 1;
            return $"repair_order.created {id}";
        }
        var (from, to) = (RepairSteps[_repairStep - 1], RepairSteps[_repairStep]);
        await pos.PublishAsync(new RepairOrderStatusChanged(id, Store, $"C-{_customers}", from, to, null, now), $"repair-{id}-{to}", ct);
        _repairStep = _repairStep + 1 == RepairSteps.Length ? 0 : _repairStep + 1;
        return $"repair_order.status_changed {id} → {to}";
    }

    private static T Pick<T>(IReadOnlyList<T> options) => options[Random.Shared.Next(options.Count)];
}
