using Webhooks.Api;
using Webhooks.Api.Commands;
using Webhooks.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(ApiTelemetry.Name);
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateDatabaseAsync();
if (ReencryptSecretsCommand.IsRequested(args)) return await ReencryptSecretsCommand.RunAsync(app);

app.UseApplicationPipeline();
app.MapDefaultEndpoints();

app.Run();
return 0;

/// <summary>Marks the Api's assembly for the tests' WebApplicationFactory (the AppHost and Dispatcher have programs too).</summary>
public sealed class ApiEntryPoint;
