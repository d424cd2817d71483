using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Webhooks.Dispatcher.Sending;

/// <summary>Turns what HttpClient throws into the short, readable error a tenant sees on the attempt.</summary>
internal static class SendErrors
{
    public static (SendOutcome Outcome, string Error) Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BlockedAddressException:
                    return (SendOutcome.Blocked, e.Message);
                case DnsFailureException:
                    return (SendOutcome.NetworkError, e.Message);
                case AuthenticationException:
                    return (SendOutcome.NetworkError, $"TLS handshake failed: {e.Message}");
                case SocketException socket:
                    return (SendOutcome.NetworkError, socket.Message.Length > 0 ? socket.Message : SsrfGuard.Describe(socket.SocketErrorCode));
            }
        }
        var error = exception is HttpRequestException http ? http.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => $"DNS lookup failed: {http.Message}",
            HttpRequestError.ConnectionError => $"connection failed: {http.Message}",
            HttpRequestError.SecureConnectionError => $"TLS handshake failed: {http.Message}",
            HttpRequestError.ResponseEnded => "the connection closed before a complete response",
            HttpRequestError.InvalidResponse => $"invalid HTTP response: {http.Message}",
            _ => http.Message,
        } : exception.Message;
        return (SendOutcome.NetworkError, error);
    }

    public static string TimedOut(TimeSpan timeout) => $"timed out after {Seconds(timeout)} s";

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
