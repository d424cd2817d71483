using System.Net.Mail;
using FluentValidation;

namespace Webhooks.Api.Features.Shared;

/// <summary>Rules for the people-facing fields of tenants and users.</summary>
internal static class FieldRules
{
    public const int MaxEmailLength = 320;
    public const int MaxNameLength = 200;

    public static IRuleBuilderOptions<T, string?> Email<T>(this IRuleBuilderInitial<T, string?> rule) =>
        rule.Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("email is required.")
            .MaximumLength(MaxEmailLength).WithMessage($"email must be at most {MaxEmailLength} characters.")
            .Must(IsPlainAddress).WithMessage("email must be a valid e-mail address, such as jane@example.com.")
            .StorableText();

    public static IRuleBuilderOptions<T, string?> DisplayName<T>(this IRuleBuilderInitial<T, string?> rule) =>
        rule.Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("name is required and may not be blank.")
            .MaximumLength(MaxNameLength).WithMessage($"name must be at most {MaxNameLength} characters.")
            .StorableText();

    /// <summary>Postgres text cannot hold NUL; refusing it here turns what would be a 500 into a 400 naming the field.</summary>
    public static IRuleBuilderOptions<T, string?> StorableText<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(text => text is null || !text.Contains('\0')).WithMessage("{PropertyName} may not contain NUL (\\u0000) characters.");

    /// <summary>E-mail is compared case-insensitively in practice, so it is stored lower-case and trimmed; a
    /// duplicate differing only in case is still a duplicate.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    // A bare address only: MailAddress alone also accepts display names ("Jane <jane@example.com>") and comments.
    private static bool IsPlainAddress(string? email)
    {
        var trimmed = email?.Trim();
        return MailAddress.TryCreate(trimmed, out var address) && address.Address == trimmed && address.Host.Length > 0;
    }
}
