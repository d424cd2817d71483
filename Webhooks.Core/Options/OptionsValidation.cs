using Microsoft.Extensions.Options;
using Webhooks.Core.Secrets;

namespace Webhooks.Core.Options;

/// <summary>Start-up validation: a bad value stops the service with a message that names the configuration key.</summary>
internal sealed class OptionsValidation :
    IValidateOptions<DeliveryOptions>, IValidateOptions<AlertsOptions>, IValidateOptions<RetentionOptions>,
    IValidateOptions<ReconcilerOptions>, IValidateOptions<EventsOptions>, IValidateOptions<SecretsOptions>,
    IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions o) => Collect(errors =>
    {
        const string s = DeliveryOptions.Section;
        for (var i = 0; i < o.RetrySchedule.Length; i++)
            Check(errors, o.RetrySchedule[i] >= TimeSpan.FromMilliseconds(1) && o.RetrySchedule[i] <= TimeSpan.FromDays(7),
                $"{s}:RetrySchedule:{i} must be between 00:00:00.001 and 7.00:00:00 (was {o.RetrySchedule[i]}).");
        Check(errors, o.RequestTimeout >= TimeSpan.FromMilliseconds(10) && o.RequestTimeout <= TimeSpan.FromMinutes(5),
            $"{s}:RequestTimeout must be between 00:00:00.010 and 00:05:00 (was {o.RequestTimeout}).");
        Check(errors, o.MaxResponseBodyBytes is >= 0 and <= 1024 * 1024,
            $"{s}:MaxResponseBodyBytes must be between 0 and 1048576 (was {o.MaxResponseBodyBytes}).");
        Check(errors, o.MaxConcurrency is >= 1 and <= 10_000, $"{s}:MaxConcurrency must be between 1 and 10000 (was {o.MaxConcurrency}).");
        Check(errors, o.MaxInFlightPerWebhook is >= 1 and <= 10_000,
            $"{s}:MaxInFlightPerWebhook must be between 1 and 10000 (was {o.MaxInFlightPerWebhook}).");
        Check(errors, o.MaxInFlightPerTenant is >= 1 and <= 100_000,
            $"{s}:MaxInFlightPerTenant must be between 1 and 100000 (was {o.MaxInFlightPerTenant}).");
        Check(errors, o.MaxRetryAfter >= TimeSpan.Zero && o.MaxRetryAfter <= TimeSpan.FromDays(1),
            $"{s}:MaxRetryAfter must be between 00:00:00 and 1.00:00:00 (was {o.MaxRetryAfter}).");
        Check(errors, o.LeaseMargin >= TimeSpan.FromMilliseconds(100) && o.LeaseMargin <= TimeSpan.FromHours(1),
            $"{s}:LeaseMargin must be between 00:00:00.100 and 01:00:00 (was {o.LeaseMargin}).");
    });

    public ValidateOptionsResult Validate(string? name, AlertsOptions o) => Collect(errors =>
    {
        const string s = AlertsOptions.Section;
        for (var i = 0; i < o.Thresholds.Length; i++)
            Check(errors, o.Thresholds[i] >= 1, $"{s}:Thresholds:{i} must be at least 1 (was {o.Thresholds[i]}).");
        Check(errors, o.DisableAfter >= 1, $"{s}:DisableAfter must be at least 1 (was {o.DisableAfter}).");
    });

    public ValidateOptionsResult Validate(string? name, RetentionOptions o) => Collect(errors =>
    {
        const string s = RetentionOptions.Section;
        Check(errors, o.SuccessfulFor >= TimeSpan.FromHours(1), $"{s}:SuccessfulFor must be at least 01:00:00 (was {o.SuccessfulFor}).");
        Check(errors, o.FailedFor >= TimeSpan.FromHours(1), $"{s}:FailedFor must be at least 01:00:00 (was {o.FailedFor}).");
        Check(errors, o.BatchSize is >= 1 and <= 100_000, $"{s}:BatchSize must be between 1 and 100000 (was {o.BatchSize}).");
        Check(errors, o.PartitionsAhead is >= 1 and <= 52, $"{s}:PartitionsAhead must be between 1 and 52 (was {o.PartitionsAhead}).");
        Check(errors, Cronos.CronExpression.TryParse(o.Schedule, out _),
            $"{s}:Schedule must be a five-field cron expression (was '{o.Schedule}').");
    });

    public ValidateOptionsResult Validate(string? name, ReconcilerOptions o) => Collect(errors =>
        Check(errors, o.Interval >= TimeSpan.FromMilliseconds(100) && o.Interval <= TimeSpan.FromDays(1),
            $"{ReconcilerOptions.Section}:Interval must be between 00:00:00.100 and 1.00:00:00 (was {o.Interval})."));

    public ValidateOptionsResult Validate(string? name, EventsOptions o) => Collect(errors =>
        Check(errors, o.MaxPayloadBytes is >= 1024 and <= 16 * 1024 * 1024,
            $"{EventsOptions.Section}:MaxPayloadBytes must be between 1024 and 16777216 (was {o.MaxPayloadBytes})."));

    public ValidateOptionsResult Validate(string? name, SecretsOptions o) => Collect(errors =>
    {
        const string s = SecretsOptions.Section;
        if (o.EncryptionKeys.Count == 0)
        {
            Check(errors, o.EncryptionKey.Length >= 32,
                $"{s}:EncryptionKey is required (or a keyring in {s}:EncryptionKeys): a random string of at least 32 characters (e.g. `openssl rand -base64 32`).");
            return;
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < o.EncryptionKeys.Count; i++)
        {
            var key = o.EncryptionKeys[i];
            Check(errors, SecretProtector.IsValidKeyId(key.Id),
                $"{s}:EncryptionKeys:{i}:Id must be 1–{SecretProtector.MaxKeyIdLength} letters, digits, '.', '_' or '-' (was '{key.Id}').");
            Check(errors, key.Key.Length >= 32,
                $"{s}:EncryptionKeys:{i}:Key (id '{key.Id}') must be a random string of at least 32 characters (e.g. `openssl rand -base64 32`).");
            if (seen.TryGetValue(key.Id, out var first))
                errors.Add($"{s}:EncryptionKeys:{i}:Id '{key.Id}' repeats {s}:EncryptionKeys:{first}:Id: each key needs an id of its own.");
            else seen[key.Id] = i;
        }
    });

    public ValidateOptionsResult Validate(string? name, RedisOptions o) => Collect(errors =>
        Check(errors, o.KeyPrefix.Length is >= 1 and <= 64 && o.KeyPrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':'),
            $"{RedisOptions.Section}:KeyPrefix must be 1 to 64 letters, digits, '.', '_', '-' or ':' (was '{o.KeyPrefix}')."));

    private static ValidateOptionsResult Collect(Action<List<string>> validate)
    {
        var errors = new List<string>();
        validate(errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, bool ok, string message)
    {
        if (!ok) errors.Add(message);
    }
}
