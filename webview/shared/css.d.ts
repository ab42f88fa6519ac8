// esbuild.mjs loads .css imports as text (loader '.css': 'text'); webview/shared/ui.ts adopts them.
declare module '*.css' {
  const text: string;
  export default text;
}
