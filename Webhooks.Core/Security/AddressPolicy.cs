using System.Net;
using System.Net.Sockets;

namespace Webhooks.Core.Security;

/// <summary>
/// Which addresses a webhook may never reach (the SSRF guard): loopback, private (RFC 1918), shared (RFC 6598),
/// link-local (which holds the 169.254.169.254 cloud-metadata service), Azure's 168.63.129.16 host endpoint, multicast,
/// unspecified, reserved, IPv6 unique-local, IPv4-mapped and -translated IPv6, Teredo and local-use NAT64; an IPv4
/// address embedded in other IPv6 forms (compatible, 6to4, well-known NAT64) is judged as the IPv4 it carries.
/// </summary>
/// <remarks>The mapped, translated, Teredo and local-use NAT64 ranges are refused whole rather than judged by the IPv4
/// inside: no real receiver is reached that way, and each is a route some stack or gateway turns into an address
/// of its own network.</remarks>
public static class AddressPolicy
{
    private static readonly (IPAddress Network, int PrefixLength, string Why)[] BlockedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8, "unspecified"),
        (IPAddress.Parse("10.0.0.0"), 8, "private"),
        (IPAddress.Parse("100.64.0.0"), 10, "shared address space"),
        (IPAddress.Parse("168.63.129.16"), 32, "cloud host endpoint"),
        (IPAddress.Parse("127.0.0.0"), 8, "loopback"),
        (IPAddress.Parse("169.254.0.0"), 16, "link-local / cloud metadata"),
        (IPAddress.Parse("172.16.0.0"), 12, "private"),
        (IPAddress.Parse("192.0.0.0"), 24, "IETF protocol assignments"),
        (IPAddress.Parse("192.0.2.0"), 24, "documentation"),
        (IPAddress.Parse("192.168.0.0"), 16, "private"),
        (IPAddress.Parse("198.18.0.0"), 15, "benchmarking"),
        (IPAddress.Parse("198.51.100.0"), 24, "documentation"),
        (IPAddress.Parse("203.0.113.0"), 24, "documentation"),
        (IPAddress.Parse("224.0.0.0"), 4, "multicast"),
        (IPAddress.Parse("240.0.0.0"), 4, "reserved / broadcast"),
    ];

    private static readonly (IPAddress Network, int PrefixLength, string Why)[] BlockedV6 =
    [
        (IPAddress.Parse("::"), 128, "unspecified"),
        (IPAddress.Parse("::1"), 128, "loopback"),
        (IPAddress.Parse("fc00::"), 7, "unique-local / cloud metadata"),
        (IPAddress.Parse("fe80::"), 10, "link-local"),
        (IPAddress.Parse("fec0::"), 10, "site-local"),
        (IPAddress.Parse("ff00::"), 8, "multicast"),
        (IPAddress.Parse("2001:db8::"), 32, "documentation"),
        (IPAddress.Parse("100::"), 64, "discard"),
        (IPAddress.Parse("::ffff:0:0:0"), 96, "translated IPv4"),
        (IPAddress.Parse("64:ff9b:1::"), 48, "local-use NAT64"),
        (IPAddress.Parse("2001::"), 32, "Teredo"),
    ];

    /// <summary>Why the address is refused, or null when a webhook may connect to it.</summary>
    public static string? WhyBlocked(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // ::ffff:0:0/96; IPNetwork.Contains never matches a mapped address, so it is asked by name.
            if (address.IsIPv4MappedToIPv6) return "mapped IPv4";
            if (Match(BlockedV6, address) is { } why) return why;
            if (EmbeddedIPv4(address) is not { } v4) return null;
            address = v4;
        }
        return Match(BlockedV4, address);
    }

    private static string? Match((IPAddress Network, int PrefixLength, string Why)[] table, IPAddress address)
    {
        foreach (var (network, prefixLength, why) in table)
        {
            if (new IPNetwork(network, prefixLength).Contains(address)) return why;
        }
        return null;
    }

    public static bool IsBlocked(IPAddress address) => WhyBlocked(address) is not null;

    private static IPAddress? EmbeddedIPv4(IPAddress v6)
    {
        var bytes = v6.GetAddressBytes();
        // ::a.b.c.d (IPv4-compatible, deprecated but still routed by some stacks)
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !v6.Equals(IPAddress.IPv6Loopback) && !v6.Equals(IPAddress.IPv6Any))
            return new IPAddress(bytes.AsSpan(12, 4));
        // 2002:AABB:CCDD::/48 (6to4) carries AA.BB.CC.DD
        if (bytes[0] == 0x20 && bytes[1] == 0x02) return new IPAddress(bytes.AsSpan(2, 4));
        // 64:ff9b::/96 (NAT64) carries the last four bytes
        if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            return new IPAddress(bytes.AsSpan(12, 4));
        return null;
    }
}
