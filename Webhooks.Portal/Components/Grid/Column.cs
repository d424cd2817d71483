namespace Webhooks.Portal.Components.Grid;

/// <summary>QuickGrid's template column under a name of its own: Fluent UI ships a <c>TemplateColumn</c> too, and
/// the portal imports both libraries everywhere.</summary>
public sealed class Column<TGridItem> : Microsoft.AspNetCore.Components.QuickGrid.TemplateColumn<TGridItem>;
