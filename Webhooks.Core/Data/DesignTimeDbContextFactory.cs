using Microsoft.EntityFrameworkCore.Design;

namespace Webhooks.Core.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<WebhooksDbContext>
{
    public WebhooksDbContext CreateDbContext(string[] args) =>
        new(WebhooksDatabase.ContextOptions(WebhooksDatabase.CreateDataSource("Host=localhost;Database=webhooksdb")));
}
