namespace Webhooks.Tests.Infrastructure;

internal static class TestTimeouts
{
    /// <summary>Starting the whole app (DCP, Postgres, Redis, the projects) takes ~15 s on a quiet box; with the rest of
    /// the suite running beside it on two cores (load average 25–30) the Dispatcher was seen still starting after
    /// 120 s. A deadline, not a wait: a quick start costs nothing.</summary>
    public static readonly TimeSpan AppStart = TimeSpan.FromSeconds(300);

    /// <summary>Waiting for something the system should do soon (a delivery, a state change).</summary>
    public static readonly TimeSpan Condition = TimeSpan.FromSeconds(30);
}
