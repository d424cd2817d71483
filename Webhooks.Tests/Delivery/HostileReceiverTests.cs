using Webhooks.Core.Data.Entities;
using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Delivery;

/// <summary>Receivers that misbehave at the connection level: the delivery is recorded with a readable error and retried.</summary>
public sealed class HostileReceiverTests(InfrastructureFixture infrastructure)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_receiver_that_resets_the_connection_is_recorded_as_a_network_error_and_retried()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var resets = 2;
        receiver.Respond = (context, _) =>
        {
            if (Interlocked.Decrement(ref resets) >= 0)
            {
                context.Abort(); // RST mid-request: no status line ever comes back
                return Task.CompletedTask;
            }
            context.Response.StatusCode = 200;
            return Task.CompletedTask;
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/reset"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);
        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);

        Assert.Equal((DeliveryStatus.Success, 3), (delivery.Status, delivery.AttemptCount));
        var attempts = await Publish.AttemptsAsync(stack, published.DeliveryId);
        Assert.All(attempts.Take(2), a =>
        {
            Assert.Null(a.ResponseStatus);
            Assert.False(string.IsNullOrWhiteSpace(a.Error));
            Assert.DoesNotContain("Exception", a.Error); // readable text, not a stack trace
        });
        Assert.Equal(200, attempts[2].ResponseStatus);
    }

    [Fact]
    public async Task An_endless_response_is_never_read_past_the_body_limit()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = async (context, _) =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain";
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            try
            {
                // A body that never ends (until the test gives up): read past its cap, the attempt could only time out.
                using var endless = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                endless.CancelAfter(TestTimeouts.Condition);
                while (true)
                {
                    await context.Response.Body.WriteAsync(chunk, endless.Token);
                    await Task.Delay(1, endless.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The Dispatcher hung up after the first 10 KB: exactly what should happen.
            }
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings(("Webhooks:Delivery:RequestTimeout", "00:00:05")));
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/huge"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);
        var delivery = await Publish.FinalAsync(stack, published.DeliveryId);

        // One attempt, a success: reading on would have ended in a timeout. It stopped at the cap and hung up.
        Assert.Equal(DeliveryStatus.Success, delivery.Status);
        var attempt = Assert.Single(await Publish.AttemptsAsync(stack, published.DeliveryId));
        Assert.Equal(10 * 1024, attempt.ResponseBody!.Length);
        Assert.Null(attempt.Error);
    }

    [Fact]
    public async Task A_receiver_answering_with_60_KB_of_headers_leaves_the_attempt_10_KB_of_them()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = (context, _) =>
        {
            context.Response.StatusCode = 200;
            for (var i = 0; i < 60; i++) context.Response.Headers[$"X-Padding-{i:00}"] = new string('h', 1000);
            return Task.CompletedTask;
        };
        await using var stack = await TestStack.StartAsync(infrastructure, Publish.FastSettings());
        var tenant = await Seed.TenantAsync(stack);
        var webhook = await Seed.WebhookAsync(stack, tenant, receiver.Url("/headers"), ["sale.created"]);

        var published = await Publish.EventAsync(stack, tenant, webhook);
        Assert.Equal(DeliveryStatus.Success, (await Publish.FinalAsync(stack, published.DeliveryId)).Status);

        var attempt = Assert.Single(await Publish.AttemptsAsync(stack, published.DeliveryId));
        var headers = attempt.ResponseHeaders!;
        var kept = headers.Sum(h => h.Key.Length + h.Value.Length);
        Assert.InRange(kept, 9 * 1024, 10 * 1024);
        Assert.Contains("X-Padding-00", headers.Keys);
        Assert.DoesNotContain("X-Padding-59", headers.Keys);
        Assert.EndsWith("…[truncated]", headers.Values.Single(v => v.EndsWith(']')));
    }
}
