using Webhooks.Dispatcher;
using Webhooks.Dispatcher.Extensions;

// A web host rather than a bare worker so that /health and /alive can be probed like the Api's.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(DispatcherTelemetry.Name);
builder.AddDispatcherServices();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

/// <summary>Marks the Dispatcher's assembly for the tests' WebApplicationFactory (the Api has its own Program).</summary>
public sealed class DispatcherEntryPoint;
