using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Webhooks.Core.Data;

/// <summary>
/// Hand-written SQL on the DbContexts' own connections, for the hot paths where EF's per-call work was measured as the
/// largest cost: the same pool and connection settings (see CoreExtensions) as every EF query.
/// </summary>
public static class DbConnections
{
    /// <summary>Runs <paramref name="work"/> on the open connection of a pooled DbContext of its own, for code that has
    /// no DbContext at hand.</summary>
    public static async Task<T> OnConnectionAsync<T>(this IServiceScopeFactory scopes, Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        await db.Database.OpenConnectionAsync(ct);
        return await work((NpgsqlConnection)db.Database.GetDbConnection());
    }

    /// <summary>A command on the context's connection (opened if need be), inside its current transaction, if any.</summary>
    public static async Task<NpgsqlCommand> CreateCommandAsync(this WebhooksDbContext db, string sql, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        return new NpgsqlCommand(sql, (NpgsqlConnection)db.Database.GetDbConnection(),
            (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
    }
}
