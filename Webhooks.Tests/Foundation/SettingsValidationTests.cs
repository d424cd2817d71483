using Microsoft.Extensions.Options;
using Webhooks.Core.Options;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Foundation;

public sealed class SettingsValidationTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_bad_setting_stops_start_up_with_a_message_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestStack.StartAsync(infrastructure,
            new Dictionary<string, string?> { ["Webhooks:Delivery:RetrySchedule:0"] = "-00:00:01" }, withDispatcher: false));
        Assert.Contains("Webhooks:Delivery:RetrySchedule:0", error.Message);
    }

    [Theory]
    [InlineData("Webhooks:Delivery:MaxConcurrency", "0")]
    [InlineData("Webhooks:Delivery:MaxInFlightPerWebhook", "0")]
    [InlineData("Webhooks:Delivery:MaxInFlightPerTenant", "0")]
    [InlineData("Webhooks:Delivery:RequestTimeout", "00:00:00")]
    [InlineData("Webhooks:Alerts:DisableAfter", "0")]
    [InlineData("Webhooks:Retention:Schedule", "not a cron")]
    [InlineData("Webhooks:Retention:PartitionsAhead", "0")]
    [InlineData("Webhooks:Reconciler:Interval", "00:00:00")]
    [InlineData("Webhooks:Events:MaxPayloadBytes", "10")]
    [InlineData("Webhooks:Secrets:EncryptionKey", "short")]
    [InlineData("Webhooks:Redis:KeyPrefix", "a}b")]
    [InlineData("Webhooks:Redis:KeyPrefix", "")]
    public async Task Each_validated_setting_names_itself(string key, string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestStack.StartAsync(infrastructure,
            new Dictionary<string, string?> { [key] = value }, withDispatcher: false));
        Assert.Contains(key, error.Message);
    }

    public static TheoryData<string, string[]> BadKeyrings => new()
    {
        { "Webhooks:Secrets:EncryptionKeys:0:Key", ["2027-03", "too short"] },
        { "Webhooks:Secrets:EncryptionKeys:1:Id", ["2027-03", "a-key-of-at-least-thirty-two-characters!!", "not ok!", "another-key-of-at-least-thirty-two-chars"] },
        { "Webhooks:Secrets:EncryptionKeys:0:Id", ["", "a-key-of-at-least-thirty-two-characters!!"] },
        { "Webhooks:Secrets:EncryptionKeys:1:Id 'k' repeats Webhooks:Secrets:EncryptionKeys:0:Id",
            ["k", "a-key-of-at-least-thirty-two-characters!!", "k", "another-key-of-at-least-thirty-two-chars"] },
    };

    /// <param name="idsAndKeys">id, key, id, key, …</param>
    [Theory]
    [MemberData(nameof(BadKeyrings))]
    public async Task A_bad_keyring_names_the_entry(string expected, string[] idsAndKeys)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < idsAndKeys.Length / 2; i++)
        {
            settings[$"Webhooks:Secrets:EncryptionKeys:{i}:Id"] = idsAndKeys[2 * i];
            settings[$"Webhooks:Secrets:EncryptionKeys:{i}:Key"] = idsAndKeys[2 * i + 1];
        }
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestStack.StartAsync(infrastructure, settings, withDispatcher: false));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var delivery = new DeliveryOptions();
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(4)],
            DeliveryOptions.DefaultRetrySchedule);
        Assert.Equal(TimeSpan.FromSeconds(30), delivery.RequestTimeout);
        Assert.Equal(10240, delivery.MaxResponseBodyBytes);
        Assert.False(delivery.AllowPrivateNetworks);
        Assert.Equal([3, 5, 10], AlertsOptions.DefaultThresholds);
        Assert.Equal(10, new AlertsOptions().DisableAfter);
        Assert.Equal("0 4 * * 0", new RetentionOptions().Schedule);
        Assert.Equal(TimeSpan.FromDays(90), new RetentionOptions().SuccessfulFor);
        Assert.Equal(TimeSpan.FromDays(120), new RetentionOptions().FailedFor);
        Assert.Equal(262144, new EventsOptions().MaxPayloadBytes);
        Assert.Equal("webhooks", new RedisOptions().KeyPrefix);
    }
}
