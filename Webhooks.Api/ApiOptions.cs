using Microsoft.Extensions.Options;

namespace Webhooks.Api;

/// <summary><c>Webhooks</c> (the Api's own keys).</summary>
public sealed class ApiOptions
{
    public const string Section = "Webhooks";

    /// <summary>The bearer key that may create tenants. Required, at least 16 characters. Never logged.</summary>
    public string AdminApiKey { get; set; } = "";

    internal sealed class Validator : IValidateOptions<ApiOptions>
    {
        public ValidateOptionsResult Validate(string? name, ApiOptions options) =>
            options.AdminApiKey.Length >= 16
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail("Webhooks:AdminApiKey is required and must be at least 16 characters.");
    }
}
