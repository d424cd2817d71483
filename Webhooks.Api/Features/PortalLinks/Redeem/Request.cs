using FastEndpoints;
using FluentValidation;

namespace Webhooks.Api.Features.PortalLinks.Redeem;

internal sealed class Request
{
    /// <summary>The <c>token</c> query parameter of a portal link (<c>whpl_…</c>).</summary>
    public string? Token { get; init; }
}

internal sealed class Validator : Validator<Request>
{
    public Validator() =>
        RuleFor(r => r.Token).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("token is required.")
            .MaximumLength(200).WithMessage("token must be at most 200 characters.");
}
