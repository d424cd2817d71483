using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Webhooks.Api.Features.Shared;

internal static class DbErrors
{
    public static bool IsUniqueViolation(this DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
