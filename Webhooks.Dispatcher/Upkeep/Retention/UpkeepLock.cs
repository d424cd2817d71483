using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Webhooks.Core.Data;

namespace Webhooks.Dispatcher.Upkeep.Retention;

/// <summary>
/// One Dispatcher at a time for a weekly or hourly upkeep job (retention, partition creation): every Dispatcher runs
/// the job, and a Postgres session advisory lock lets the first work while the others skip. The lock belongs to the
/// session that took it, so the job runs on that one connection, held open for the whole run.
/// </summary>
internal static class UpkeepLock
{
    /// <summary>Runs <paramref name="job"/> on a context whose open connection holds the advisory lock
    /// <paramref name="key"/>, unless another session holds it.</summary>
    /// <returns>Whether the lock was taken (and the job run), and the job's result.</returns>
    public static async Task<(bool Taken, T Result)> TryRunAsync<T>(IServiceScopeFactory scopes, long key,
        Func<WebhooksDbContext, DbConnection, Task<T>> job, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        try
        {
            if (!await ScalarAsync<bool>(connection, $"SELECT pg_try_advisory_lock({key})", ct)) return (false, default!);
            try
            {
                return (true, await job(db, connection));
            }
            finally
            {
                // A broken connection has lost the lock with its session; the error that broke it is the one to see.
                if (connection.State == ConnectionState.Open)
                    await ScalarAsync<bool>(connection, $"SELECT pg_advisory_unlock({key})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public static async Task<T> ScalarAsync<T>(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}
