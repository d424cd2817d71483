namespace Webhooks.Tests.Infrastructure;

internal static class TestTimeouts
{
    /// <summary>Starting the whole app (DCP, Postgres, Redis, two projects) takes ~15 s here; CI machines are shared.</summary>
    public static readonly TimeSpan AppStart = TimeSpan.FromSeconds(120);

    /// <summary>Waiting for something the system should do soon (a delivery, a state change).</summary>
    public static readonly TimeSpan Condition = TimeSpan.FromSeconds(30);
}
