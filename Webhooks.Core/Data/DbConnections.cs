using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Webhooks.Core.Data;

/// <summary>Hand-written SQL inside a DbContext's work: for a statement that must share the context's transaction.
/// (Where no context is at hand, hand-written SQL takes a connection from the <see cref="NpgsqlDataSource"/>.)</summary>
public static class DbConnections
{
    /// <summary>A command on the context's connection (opened if need be), inside its current transaction, if any.</summary>
    public static async Task<NpgsqlCommand> CreateCommandAsync(this WebhooksDbContext db, string sql, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        return new NpgsqlCommand(sql, (NpgsqlConnection)db.Database.GetDbConnection(),
            (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
    }
}
