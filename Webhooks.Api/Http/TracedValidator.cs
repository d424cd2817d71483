using FastEndpoints;
using FluentValidation;
using FluentValidation.Results;

namespace Webhooks.Api.Http;

/// <summary>A request validator that runs inside a <c>validate request</c> span, so a publish's trace (and the bench's
/// latency breakdown) shows what its checks cost (JSON shape, storable text, the event type's schema).</summary>
internal abstract class TracedValidator<TRequest> : Validator<TRequest> where TRequest : notnull
{
    public override ValidationResult Validate(FluentValidation.ValidationContext<TRequest> context)
    {
        using var activity = ApiTelemetry.ActivitySource.StartActivity("validate request");
        return base.Validate(context);
    }

    public override async Task<ValidationResult> ValidateAsync(FluentValidation.ValidationContext<TRequest> context, CancellationToken cancellation = default)
    {
        using var activity = ApiTelemetry.ActivitySource.StartActivity("validate request");
        return await base.ValidateAsync(context, cancellation);
    }
}
