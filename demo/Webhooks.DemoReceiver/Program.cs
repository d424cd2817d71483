using Webhooks.Client.Receiving;
using Webhooks.DemoReceiver;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(DemoReceiverTelemetry.Name);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<DemoSecrets>();
builder.Services.AddSingleton<ReceiverStats>();
builder.Services.AddSingleton<DeliveryDeduplicator>();
builder.Services.AddSingleton<FailurePolicy>();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPost("/hooks/{name}", HookEndpoint.HandleAsync);
app.MapGet("/stats", (ReceiverStats stats) => stats.Snapshot());

app.Run();

internal static class DemoReceiverTelemetry
{
    public const string Name = "Webhooks.DemoReceiver";
}
