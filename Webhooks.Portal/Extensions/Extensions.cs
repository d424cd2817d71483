using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.FluentUI.AspNetCore.Components;
using Webhooks.Portal.Api;
using Webhooks.Portal.Auth;

namespace Webhooks.Portal.Extensions;

internal static class Extensions
{
    public static void AddPortalServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents()
            .AddInteractiveServerComponents(o => o.DetailedErrors = builder.Environment.IsDevelopment());
        builder.Services.AddFluentUIComponents();
        builder.Services.AddCascadingAuthenticationState();

        // The session cookie carries the Api credential inside the data-protected (encrypted and signed) ticket: it
        // never reaches the page's script, and the browser only ever sends it back to this portal.
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = PortalCookie.Name;
                o.Cookie.HttpOnly = true;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever served over https
                o.Cookie.SameSite = SameSiteMode.Lax; // Lax, not Strict: a sign-in link arrives from another site
                o.LoginPath = "/signin";
                o.ReturnUrlParameter = "returnUrl";
                o.AccessDeniedPath = "/";
                o.SlidingExpiration = false; // the session ends when its Api credential does
            });
        builder.Services.AddAuthorization();

        builder.AddPortalApi();
    }

    public static void UsePortalPipeline(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
    }
}
