using Webhooks.Api;
using Webhooks.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(ApiTelemetry.Name);
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateDatabaseAsync();
app.UseApplicationPipeline();
app.MapDefaultEndpoints();

app.Run();

/// <summary>Marks the Api's assembly for the tests' WebApplicationFactory (the AppHost and Dispatcher have programs too).</summary>
public sealed class ApiEntryPoint;
