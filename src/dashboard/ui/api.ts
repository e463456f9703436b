// The dashboard's only way to the platform: the Platform API (the CLI's), same origin, with the
// session cookie (sent by the browser, unreadable here) and the page's CSRF token on every request.
const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';

export const account = meta('account');
const csrf = meta('csrf-token');

export class ApiError extends Error {
  constructor(readonly status: number, readonly id: string, message: string) { super(message); }
}

export async function api<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(path, {
    method, credentials: 'same-origin',
    headers: { Accept: 'application/vnd.heroku+json; version=3', 'X-CSRF-Token': csrf, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  if (res.status === 401) {
    // The session ended (expired, or signed out in another tab). Said, not redirected: a reload loop
    // would follow if the page were served but the API refused the session.
    throw new ApiError(401, 'unauthorized', 'Your session has ended: reload the page to sign in again.');
  }
  if (!res.ok) throw new ApiError(res.status, parsed?.id ?? 'error', parsed?.message ?? `${method} ${path} answered ${res.status}`);
  return parsed as T;
}

/** Same-origin path of a URL the API hands out (log sessions, output streams) for the address it was built with. */
export const localPath = (url: string) => { const u = new URL(url, location.href); return u.pathname + u.search; };

/** Reads a text stream (a log session or a build's output) as it arrives, until it ends or `signal` aborts. */
export async function follow(url: string, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(localPath(url), { signal, credentials: 'same-origin' });
  if (!res.ok || !res.body) throw new Error(`The stream answered ${res.status}.`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onText(value);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
