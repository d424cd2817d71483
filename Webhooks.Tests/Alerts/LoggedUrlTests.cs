using Webhooks.Dispatcher.Alerts;

namespace Webhooks.Tests.Alerts;

/// <summary>The operator's logs name a failing webhook by its origin only: receivers carry credentials in their URLs.</summary>
public sealed class LoggedUrlTests
{
    [Theory]
    [InlineData("https://hooks.example.com/services/T000/B000/s3cr3t", "https://hooks.example.com")]
    [InlineData("https://user:s3cr3t@hooks.example.com:8443/in?token=s3cr3t#x", "https://hooks.example.com:8443")]
    [InlineData("http://[2001:db8::1]:8080/hook?s3cr3t", "http://[2001:db8::1]:8080")]
    [InlineData("not a url s3cr3t", "(not an absolute URL)")]
    public void A_webhook_url_is_logged_as_scheme_host_and_port_without_path_query_or_user_info(string url, string logged)
    {
        Assert.Equal(logged, WebhookHealth.OriginOf(url));
        Assert.DoesNotContain("s3cr3t", WebhookHealth.OriginOf(url));
    }
}
