// The pages the router answers with itself: Heroku's unstyled "Application Error" page for every
// H-code that reaches the client, and the "No such app" page for a Host that matches no app. An app
// can name its own error and maintenance pages (config vars `ERROR_PAGE_URL`,
// `MAINTENANCE_PAGE_URL`); as on Heroku the router then answers with a small page that shows that
// URL in a full-window iframe, so the status still comes from the router.

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

/** An http(s) URL fit for an iframe's `src`, or undefined (anything else is ignored, not served). */
export function pageUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The page that shows an app's own page (at `url`) in place of the router's. */
export function framedPage(title: string, url: string): string {
  return `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(title)}</title>
    <style>html, body, iframe { margin: 0; padding: 0; border: 0; width: 100%; height: 100%; overflow: hidden; }</style>
  </head>
  <body>
    <iframe src="${escapeHtml(url)}"></iframe>
  </body>
</html>
`;
}

/** An app's error and maintenance pages: its own (framed) where it names a URL, else the router's. */
export function appPages(urls: { errorPageUrl?: string; maintenancePageUrl?: string }): { error: string; maintenance: string } {
  const error = pageUrl(urls.errorPageUrl);
  const maintenance = pageUrl(urls.maintenancePageUrl);
  return {
    error: error ? framedPage('Application Error', error) : APPLICATION_ERROR_PAGE,
    maintenance: maintenance ? framedPage('Offline for Maintenance', maintenance) : MAINTENANCE_PAGE,
  };
}
