using System.Text.Json;
using System.Text.Json.Serialization;
using FastEndpoints;
using FastEndpoints.Swagger;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Scalar.AspNetCore;
using Webhooks.Api.Auth;
using Webhooks.Api.Features.Events;
using Webhooks.Api.Features.PortalSessions;
using Webhooks.Api.Http;
using Webhooks.Api.Limits;
using Webhooks.Core;
using Webhooks.Core.Data;
using Webhooks.Core.Options;
using Webhooks.Core.Secrets;

namespace Webhooks.Api.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.AddWebhooksCore();
        builder.Services.AddSingleton<ApiTelemetry>();

        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptions.Validator>();
        builder.Services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PortalOptions>, PortalOptions.Validator>();
        builder.Services.AddSingleton<PortalSessionIssuer>();
        builder.Services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptions.Validator>();
        builder.Services.AddSingleton<ITenantTokenBuckets, TenantTokenBuckets>();
        builder.Services.AddSingleton<PublishRateLimit>();
        builder.Services.AddSingleton<FanOutLimit>();
        builder.Services.AddSingleton<PublishLimits>();

        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.TenantUser, p => p.RequireClaim(ApiClaims.TenantIdType))
            .AddPolicy(Policies.TenantOwner, p => p.RequireClaim(ApiClaims.TenantIdType).RequireRole(Roles.Owner))
            .AddPolicy(Policies.TenantApiKey, p => p.RequireClaim(ApiClaims.TenantIdType)
                .RequireAssertion(c => !c.User.HasClaim(claim => claim.Type == ApiClaims.PortalSessionIdType)))
            .AddPolicy(Policies.PortalSession, p => p.RequireClaim(ApiClaims.PortalSessionIdType));

        // Known API keys, cached by hash; every process drops revoked ones within 2 s and records use once a minute.
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddHostedService<RevocationWatcher>();
        builder.Services.AddSingleton<ApiKeyUsage>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ApiKeyUsage>());
        builder.Services.AddSingleton<SecretReencryption>(); // the reencrypt-secrets command
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddSingleton<ApiMetrics>();
        builder.Services.AddSingleton<EventPublisher>();
        builder.Services.AddSingleton<EventWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventWriter>());
        builder.Services.AddSingleton<EventDataSchemas>();
        builder.Services.AddProblemDetails();
        builder.Services.AddFastEndpoints();
        builder.Services.SwaggerDocument(o =>
        {
            o.DocumentSettings = s =>
            {
                s.Title = "Webhooks API";
                s.Version = "v1";
                s.Description = "Register webhooks, publish events, and follow every delivery and attempt.";
                s.SchemaSettings.SchemaNameGenerator = new FeatureSchemaNameGenerator();
                // Every operation that needs a key says so (anonymous ones get no requirement); the keys are opaque
                // bearer tokens, not JWTs.
                s.AddAuth(ApiKeyAuthenticationHandler.SchemeName, new NSwag.OpenApiSecurityScheme
                {
                    Type = NSwag.OpenApiSecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "`Authorization: Bearer <key>`: the admin key (Webhooks:AdminApiKey) or a tenant user's API key.",
                });
                s.DocumentProcessors.Add(new NullableWithoutType());
                s.DocumentProcessors.Add(new PublicOperations());
            };
            o.AutoTagPathSegmentIndex = 2; // tag by resource (/v1/webhooks → Webhooks), not by the version segment
            o.EnableJWTBearerAuth = false;
            o.ShortSchemaNames = true;
        });
    }

    public static void UseApplicationPipeline(this WebApplication app)
    {
        // Any 4xx without a body (unknown route, 405, …) and any unhandled exception become problem+json.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestSizeLimits>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseContentTypeProblem();
        app.UseFastEndpoints(c =>
        {
            c.Errors.UseProblemDetails();
            c.Serializer.Options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            c.Serializer.Options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        app.UseSwaggerGen();
        app.MapScalarApiReference("/reference", o => o.WithOpenApiRoutePattern("/swagger/{documentName}/swagger.json"));
    }

    /// <summary>Applies EF migrations before the Api takes traffic; the Dispatcher waits for the Api for this reason.</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup) return;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebhooksDbContext>();
        var logger = app.Services.GetRequiredService<ILogger<WebhooksDbContext>>();
        logger.LogInformation("Applying database migrations");
        await CreateMigrationsHistoryAsync(db);
        // Several Apis starting at once (replicas) would apply the same migration twice, and the second fails ("column
        // already exists", seen with AppHost:ApiReplicas=2). EF's own migration lock does not cover it, so the Apis take
        // turns on a session advisory lock held on the connection EF migrates on: the first applies, the rest find
        // nothing left to apply.
        await db.Database.OpenConnectionAsync();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", connection))
            await lockCommand.ExecuteNonQueryAsync();
        try
        {
            await db.Database.MigrateAsync();
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", connection);
            await unlock.ExecuteNonQueryAsync();
        }
        // A migration may have created types (the delivery_status enum) that the data source's connections, opened
        // before it, do not know yet.
        await connection.ReloadTypesAsync();
        logger.LogInformation("Database migrations applied");
    }

    /// <summary>The advisory lock the Apis take turns on to migrate ("WHMIGRAT" in ASCII).</summary>
    internal const long MigrationLockKey = 0x5748_4D49_4752_4154;

    /// <summary>
    /// On an empty database EF first reads the migrations-history table, fails, and logs that expected failure at
    /// Error level ("Failed executing DbCommand"), a red badge on a newcomer's first look at the dashboard. Creating
    /// the table first, with EF's own idempotent DDL, leaves that read nothing to fail on; every other failure is
    /// still logged as before.
    /// </summary>
    private static async Task CreateMigrationsHistoryAsync(WebhooksDbContext db)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        try
        {
            if (!await creator.ExistsAsync()) await creator.CreateAsync(); // as Migrate would (the AppHost creates it first)
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another Api starting at the same moment created it first.
        }
        var script = db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
        try
        {
            await db.Database.ExecuteSqlRawAsync(script);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Another Api replica created it at the same moment (IF NOT EXISTS does not serialize concurrent creators).
        }
    }
}
