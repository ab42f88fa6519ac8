// The CSS variables a VS Code webview gets from the Dark Modern theme (a subset: what media/panels.css and
// @vscode-elements read), so panels look in the test browser as they do in VS Code.
export const DARK_MODERN: Record<string, string> = {
  '--vscode-font-family': "system-ui, 'Ubuntu', 'Droid Sans', sans-serif",
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': "'Droid Sans Mono', monospace",
  '--vscode-editor-font-size': '14px',
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-errorForeground': '#f85149',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-editor-foreground': '#cccccc',
  '--vscode-editorWidget-background': '#202020',
  '--vscode-editor-inactiveSelectionBackground': '#3a3d41',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-widget-border': '#313131',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-hoverBackground': '#026ec1',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-button-border': '#ffffff12',
  '--vscode-checkbox-background': '#313131',
  '--vscode-checkbox-border': '#3c3c3c',
  '--vscode-checkbox-foreground': '#cccccc',
  '--vscode-dropdown-background': '#313131',
  '--vscode-dropdown-border': '#3c3c3c',
  '--vscode-dropdown-foreground': '#cccccc',
  '--vscode-dropdown-listBackground': '#1f1f1f',
  '--vscode-input-background': '#313131',
  '--vscode-input-border': '#3c3c3c',
  '--vscode-input-foreground': '#cccccc',
  '--vscode-input-placeholderForeground': '#989898',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-list-activeSelectionBackground': '#04395e',
  '--vscode-list-activeSelectionForeground': '#ffffff',
  '--vscode-badge-background': '#616161',
  '--vscode-badge-foreground': '#f8f8f8',
  '--vscode-textBlockQuote-background': '#2b2b2b',
  '--vscode-notificationsInfoIcon-foreground': '#3794ff',
  '--vscode-progressBar-background': '#0078d4',
  '--vscode-scrollbarSlider-background': '#79797966',
  '--vscode-settings-checkboxBorder': '#3c3c3c',
  '--vscode-settings-dropdownBorder': '#3c3c3c',
  '--vscode-quickInput-background': '#222222',
};

/** Init-script source that applies the theme to <html> and marks <body> as VS Code does. */
export function themeInitScript(vars: Record<string, string> = DARK_MODERN): string {
  return `document.addEventListener('DOMContentLoaded', () => {
    const vars = ${JSON.stringify(vars)};
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    document.body.classList.add('vscode-dark');
    document.body.dataset.vscodeThemeKind = 'vscode-dark';
  });`;
}
