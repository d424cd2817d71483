using Webhooks.Api.Features.Shared;

namespace Webhooks.Api.Features.Users.List;

internal sealed class Request : PageRequest;

internal sealed class RequestValidator : PageRequestValidator<Request>;
