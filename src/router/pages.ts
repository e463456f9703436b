// The pages the router answers with itself: Heroku's unstyled "Application Error" page for every
// H-code that reaches the client, and the "No such app" page for a Host that matches no app.

export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

export const APPLICATION_ERROR_PAGE = `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Application Error</title>
  </head>
  <body>
    <p>An error occurred in the application and your page could not be served. If you are the application owner, check your logs for details.</p>
  </body>
</html>
`;

/** What every request to an app in maintenance mode gets (503, H80). */
export const MAINTENANCE_PAGE = `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Offline for Maintenance</title>
  </head>
  <body>
    <p>This application is undergoing maintenance right now. Please check back later.</p>
  </body>
</html>
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `domain` is the platform's app domain, so the page can say where apps live. */
export function noSuchAppPage(domain: string): string {
  return `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>No such app</title>
  </head>
  <body>
    <p>There is no app configured at that hostname.</p>
    <p>Apps on this platform live at <code>&lt;app&gt;.${escapeHtml(domain)}</code> or at a custom domain added to an app.</p>
  </body>
</html>
`;
}
