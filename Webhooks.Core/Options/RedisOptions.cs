namespace Webhooks.Core.Options;

/// <summary><c>Webhooks:Redis</c>: how the schedule names its keys.</summary>
public sealed class RedisOptions
{
    public const string Section = "Webhooks:Redis";

    /// <summary>Every Redis key and channel is <c>{prefix}:…</c>: one hash tag, so every script's keys share a Redis
    /// Cluster slot, and several deployments (or test stacks) can share one Redis. Default <c>webhooks</c>; 1 – 64 of
    /// letters, digits, <c>.</c>, <c>_</c>, <c>-</c> and <c>:</c> (no braces, which would end the hash tag).</summary>
    public string KeyPrefix { get; set; } = "webhooks";
}
