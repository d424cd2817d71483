using FastEndpoints;

namespace Webhooks.Api.Http;

/// <summary>FastEndpoints' own binder inside a <c>bind request</c> span, so a publish's trace (and the bench's latency
/// breakdown) shows what reading and deserializing its body costs.</summary>
internal sealed class TracedRequestBinder<TRequest> : RequestBinder<TRequest> where TRequest : notnull
{
    public override async ValueTask<TRequest> BindAsync(BinderContext ctx, CancellationToken ct)
    {
        using var activity = ApiTelemetry.ActivitySource.StartActivity("bind request");
        return await base.BindAsync(ctx, ct);
    }
}
