using Webhooks.Portal.Auth;
using Webhooks.Portal.Components;
using Webhooks.Portal.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPortalServices();

var app = builder.Build();

app.UsePortalPipeline();
app.MapDefaultEndpoints();
app.MapPortalSignIn();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();
