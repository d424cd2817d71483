using System.Globalization;

namespace Webhooks.Core.Data;

/// <summary>
/// The arithmetic every weekly partition shares: ids are UUIDv7s, whose first 48 bits are their unix milliseconds, and a
/// week is the id range [lowest id of Monday 00:00 UTC, lowest id of the next Monday). One place, because the
/// Dispatcher's partitions (retention, the maintainer) and the publish's key guard must agree on every bound.
/// </summary>
public static class WeeklyIds
{
    /// <summary>Monday 00:00 UTC of the week holding <paramref name="time"/>.</summary>
    public static DateTimeOffset WeekOf(DateTimeOffset time)
    {
        var day = time.UtcDateTime.Date;
        return new DateTimeOffset(day.AddDays(-(((int)day.DayOfWeek + 6) % 7)), TimeSpan.Zero);
    }

    /// <summary>The lowest UUIDv7 of this millisecond: every id made at or after it sorts at or after it.</summary>
    public static Guid LowestId(DateTimeOffset time) =>
        Guid.ParseExact(time.ToUnixTimeMilliseconds().ToString("x12", CultureInfo.InvariantCulture) + new string('0', 20), "N");

    /// <summary>The millisecond a UUIDv7 was made for.</summary>
    public static DateTimeOffset TimeOf(Guid id) =>
        DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(id.ToString("N")[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
