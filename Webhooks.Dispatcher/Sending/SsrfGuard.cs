using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Webhooks.Core.Security;

namespace Webhooks.Dispatcher.Sending;

/// <summary>
/// The HTTP handler's connect step: resolves the host itself, refuses it if any resolved address is blocked by
/// <see cref="AddressPolicy"/>, and then connects the socket to one of exactly those checked addresses. Checking and
/// connecting the same IP is what defeats DNS rebinding (a name that answers "public" to the check and "127.0.0.1" to
/// the connect). Refusing when <em>any</em> address is blocked, not only when all are, keeps a hostile name from
/// mixing a private address into a public set and hoping the client picks it.
/// </summary>
/// <remarks>For a host name, the attempt's error (which the tenant reads) is the same whether the name resolved to a
/// refused address or did not resolve at all, and never shows the addresses it resolved to: otherwise a tenant could
/// map our internal network through its webhook's attempts. Both are retried like any network error (DNS failures are
/// often transient). A literal address in the URL is the tenant's own text, so its refusal says why, and is final.
/// </remarks>
internal sealed class SsrfGuard(bool allowPrivateNetworks)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        // An IPv6 literal arrives in its URL form, bracketed.
        if (IPAddress.TryParse(endpoint.Host.TrimStart('[').TrimEnd(']'), out var literal))
        {
            if (!allowPrivateNetworks && AddressPolicy.WhyBlocked(literal) is { } why)
                throw new BlockedAddressException($"blocked: {literal} is a {why} address");
            return await ConnectAnyAsync([literal], endpoint.Port, ct);
        }
        var addresses = await ResolveAsync(endpoint.Host, ct);
        if (!allowPrivateNetworks && addresses.Any(AddressPolicy.IsBlocked)) throw Unreachable(endpoint.Host);
        return await ConnectAnyAsync(addresses, endpoint.Port, ct);
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, ct);
            return addresses.Length > 0 ? addresses : throw Unreachable(host);
        }
        catch (SocketException e)
        {
            throw Unreachable(host, e);
        }
    }

    private static DnsFailureException Unreachable(string host, Exception? inner = null) =>
        new($"{host} did not resolve to a public address", inner);

    private static async Task<Stream> ConnectAnyAsync(IPAddress[] addresses, int port, CancellationToken ct)
    {
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = new SocketException((int)e.SocketErrorCode, $"{Describe(e.SocketErrorCode)} ({new IPEndPoint(address, port)})");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    internal static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.TimedOut => "connection timed out",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        _ => error.ToString(),
    };
}

/// <summary>The SSRF guard refused a literal address in the URL; the message names it and why.</summary>
internal sealed class BlockedAddressException(string message) : IOException(message);

/// <summary>The host name did not resolve, or resolved to an address the guard refuses: one failure, one message.</summary>
internal sealed class DnsFailureException(string message, Exception? inner = null) : IOException(message, inner);
