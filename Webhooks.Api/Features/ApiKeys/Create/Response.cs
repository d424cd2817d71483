using Webhooks.Core.Data.Entities;

namespace Webhooks.Api.Features.ApiKeys.Create;

internal sealed class Response(ApiKey row, string key) : ApiKeyResponse(row)
{
    /// <summary>The key (<c>whk_…</c>), to send as <c>Authorization: Bearer &lt;key&gt;</c>. Shown only here: store it now.</summary>
    public string Key { get; } = key;
}
