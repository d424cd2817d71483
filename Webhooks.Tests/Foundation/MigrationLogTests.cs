using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Tests.Infrastructure;
using Webhooks.Tests.Security;

namespace Webhooks.Tests.Foundation;

public sealed class MigrationLogTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Migrating_an_empty_database_logs_no_error()
    {
        // Each stack starts on a database of its own, empty until the Api migrates it.
        var logs = new CapturedLogs();
        await using var stack = await TestStack.StartAsync(infrastructure, configureServices: services => services.AddSingleton<ILoggerProvider>(logs),
            withDispatcher: false);

        await using var db = stack.CreateDbContext();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        var errors = logs.Entries.Where(e => e.Contains(" Error: ") || e.Contains(" Critical: ")).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
