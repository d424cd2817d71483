using Webhooks.Tests.Infrastructure;

namespace Webhooks.Tests.Management;

/// <summary>One Api (no Dispatcher) per test class: the management routes only touch Postgres, and every test makes
/// its own tenants through the API, so tests in a class cannot see each other's data.</summary>
public class ManagementStack(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestStack? _stack;

    public TestStack Stack => _stack ?? throw new InvalidOperationException("Not started.");

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async ValueTask InitializeAsync() =>
        _stack = await TestStack.StartAsync(infrastructure, Settings, withDispatcher: false);

    public async ValueTask DisposeAsync()
    {
        if (_stack is not null) await _stack.DisposeAsync();
    }
}

/// <summary>The production setting: the SSRF guard on.</summary>
public sealed class GuardedManagementStack(InfrastructureFixture infrastructure) : ManagementStack(infrastructure)
{
    protected override IDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Webhooks:Delivery:AllowPrivateNetworks"] = "false" };
}
