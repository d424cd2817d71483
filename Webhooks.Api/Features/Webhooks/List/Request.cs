using Webhooks.Api.Features.Shared;

namespace Webhooks.Api.Features.Webhooks.List;

internal sealed class Request : PageRequest;

internal sealed class Validator : PageRequestValidator<Request>;
