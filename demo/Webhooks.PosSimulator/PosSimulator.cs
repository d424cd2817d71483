using Microsoft.Extensions.Options;
using Webhooks.Client;
using Webhooks.Demo;

namespace Webhooks.PosSimulator;

/// <summary>
/// Bootstraps the demo (see <see cref="DemoBootstrap"/>), then publishes a POS event every
/// <see cref="SimulatorOptions.Interval"/>. A failure (the Api restarting, say) is logged as a warning and retried:
/// the demo never stops, and never puts an error in the dashboard that is not a real one.
/// </summary>
internal sealed class PosSimulator(DemoBootstrap bootstrap, PosEvents events, IOptions<SimulatorOptions> options, TimeProvider time,
    ILogger<PosSimulator> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var settings = options.Value;
        WebhooksClient? pos = null;
        DemoState? state = null;
        var nextReenableCheck = time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (pos is null) (pos, state) = await bootstrap.EnsureAsync(ct);
                logger.LogInformation("Published {What}", await events.PublishNextAsync(pos, ct));
                if (time.GetUtcNow() >= nextReenableCheck)
                {
                    await ReenableAsync(pos, state!, settings, ct);
                    nextReenableCheck = time.GetUtcNow() + TimeSpan.FromSeconds(30);
                }
            }
            catch (Exception e) when (e is WebhooksApiException or HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException
                                      && !ct.IsCancellationRequested)
            {
                logger.LogWarning("The Api did not take the demo's request ({Reason}); trying again shortly", e.Message);
                if (e is WebhooksUnauthorizedException or WebhooksNotFoundException) pos = null; // bootstrap again
                await Task.Delay(TimeSpan.FromSeconds(5), time, ct);
                continue;
            }
            await Task.Delay(settings.Interval, time, ct);
        }
    }

    /// <summary>Turns the always-failing webhook back on a while after the service disabled it, so its alerts come round again.</summary>
    private async Task ReenableAsync(WebhooksClient pos, DemoState state, SimulatorOptions settings, CancellationToken ct)
    {
        if (!state.Webhooks.TryGetValue("legacy-erp", out var down)) return;
        var webhook = await pos.GetWebhookAsync(down.Id, ct);
        if (webhook.DisabledAt is { } disabledAt && time.GetUtcNow() - disabledAt >= settings.ReenableAfter)
        {
            await pos.UpdateWebhookAsync(webhook.Id, new WebhookUpdate { Active = true }, ct);
            logger.LogInformation("Re-enabled the demo webhook legacy-erp, disabled at {DisabledAt}", disabledAt);
        }
    }
}
