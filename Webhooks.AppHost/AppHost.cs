using Webhooks.AppHost;
using Webhooks.AppHost.Demo;
using Webhooks.AppHost.Infrastructure;
using Webhooks.AppHost.Portal;
using Webhooks.Core;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddWebhooksInfrastructure();
var adminApiKey = builder.AddParameter("admin-api-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);
var secretsKey = builder.AddParameter("secrets-encryption-key", new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true);

var api = builder.AddProject<Projects.Webhooks_Api>(ResourceNames.Api)
    .WithWebhooksInfrastructure(infrastructure)
    .WithWebhooksSettings(builder.Configuration)
    .WithEnvironment("Webhooks__AdminApiKey", adminApiKey)
    .WithEnvironment("Webhooks__Secrets__EncryptionKey", secretsKey)
    .WithHttpHealthCheck("/health")
    .WithReplicasFrom(builder.Configuration, Replicas.ApiKey);

builder.AddProject<Projects.Webhooks_Dispatcher>(ResourceNames.Dispatcher)
    .WithWebhooksInfrastructure(infrastructure)
    .WithWebhooksSettings(builder.Configuration)
    .WithEnvironment("Webhooks__Secrets__EncryptionKey", secretsKey)
    .WithHttpHealthCheck("/health")
    .WithReplicasFrom(builder.Configuration, Replicas.DispatcherKey)
    .WaitFor(api); // the Api applies the EF migrations

builder.AddWebhooksPortal(api); // the tenant portal, unless AppHost:Portal=false
builder.AddWebhooksDemo(api, adminApiKey); // pos-simulator and demo-receiver, unless AppHost:Demo=false

builder.Build().Run();
