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
internal sealed class SsrfGuard(bool allowPrivateNetworks)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        // An IPv6 literal arrives in its URL form, bracketed.
        var addresses = IPAddress.TryParse(endpoint.Host.TrimStart('[').TrimEnd(']'), out var literal)
            ? [literal]
            : await Resolve(endpoint.Host, ct);
        if (!allowPrivateNetworks)
        {
            foreach (var address in addresses)
            {
                if (AddressPolicy.WhyBlocked(address) is { } why)
                    throw new BlockedAddressException($"blocked: {address} is a {why} address");
            }
        }
        return await ConnectAnyAsync(addresses, endpoint.Port, ct);
    }

    private static async Task<IPAddress[]> Resolve(string host, CancellationToken ct)
    {
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, ct);
            return addresses.Length > 0 ? addresses : throw new DnsFailureException($"DNS lookup of {host} returned no address");
        }
        catch (SocketException e)
        {
            throw new DnsFailureException($"DNS lookup of {host} failed: {e.Message}", e);
        }
    }

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

/// <summary>The SSRF guard refused the endpoint; the message names the address and why.</summary>
internal sealed class BlockedAddressException(string message) : IOException(message);

internal sealed class DnsFailureException(string message, Exception? inner = null) : IOException(message, inner);
