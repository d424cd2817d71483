using Webhooks.Core;
using Webhooks.PosSimulator;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(PosSimulatorTelemetry.Name);
builder.Services.AddWebhooksClient(ResourceNames.Api); // the key comes from the bootstrap, per call (WithApiKey)
builder.Services.AddOptions<SimulatorOptions>().BindConfiguration(SimulatorOptions.Section).ValidateOnStart();
builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SimulatorOptions>, SimulatorOptions.Validator>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<DemoBootstrap>();
builder.Services.AddSingleton<PosEvents>();
builder.Services.AddHostedService<PosSimulator>();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

internal static class PosSimulatorTelemetry
{
    public const string Name = "Webhooks.PosSimulator";
}
