using Webhooks.Core.Secrets;

namespace Webhooks.Api.Commands;

/// <summary>
/// <c>dotnet Webhooks.Api.dll reencrypt-secrets</c>: moves every stored webhook secret to the primary key of
/// <c>Webhooks:Secrets:EncryptionKeys</c>, logging its progress, then exits (0 when every secret moved). Run it with
/// the same settings as the Api, after every process has the new primary key; running it again is harmless.
/// </summary>
internal static class ReencryptSecretsCommand
{
    public const string Name = "reencrypt-secrets";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Name;

    public static async Task<int> RunAsync(WebApplication app)
    {
        // The serving processes' start-up check first: refuse a keyring that cannot open what is stored, and write the
        // primary key's canary before anything is encrypted with it.
        await app.Services.GetRequiredService<EncryptionKeyCheck>().VerifyAsync(CancellationToken.None);
        var result = await app.Services.GetRequiredService<SecretReencryption>().RunAsync(CancellationToken.None);
        return result.Failed == 0 ? 0 : 1;
    }
}
