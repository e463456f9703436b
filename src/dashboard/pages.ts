// The two HTML documents the platform itself renders: the sign-in page (a plain form that works
// without scripts) and the dashboard's shell (its CSRF token and the built assets). Everything else the
// dashboard shows is drawn by its scripts from the Platform API.

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const head = (title: string, extra = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>${extra}</head>`;

/** The CSS of the sign-in page (the dashboard's own stylesheet is built with its scripts). */
const SIGN_IN_CSS = `body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f4f3f8;color:#1d1b29;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #dcd8e8;border-radius:8px;padding:2rem;width:min(22rem,90vw);box-shadow:0 2px 8px #0001}
h1{margin:0 0 1rem;font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #aaa4bd;border-radius:4px;font:inherit}
input:focus,button:focus{outline:3px solid #7952b3;outline-offset:1px}
button{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:4px;background:#5a3d99;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{background:#fde8e8;color:#8a1010;border-radius:4px;padding:.5rem .7rem}.hint{color:#5d5870;font-size:.85rem}`;

export function signInPage(o: { error?: string; email?: string }): string {
  return `${head('Sign in · Slipway', `<style>${SIGN_IN_CSS}</style>`)}
<body><main><h1>Slipway</h1>
${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}
<form method="post" action="/dashboard/sign-in">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(o.email ?? '')}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="hint">The operator may also sign in with the API key as the password (<code>slipway auth:token</code>).</p>
</main></body></html>`;
}

export function shellPage(o: { csrf: string; email: string; js?: string; css?: string }): string {
  const assets = o.js
    ? `<link rel="stylesheet" href="${esc(o.css ?? '')}"><script type="module" src="${esc(o.js)}"></script>`
    : '';
  return `${head('Slipway', `<meta name="csrf-token" content="${esc(o.csrf)}"><meta name="account" content="${esc(o.email)}">${assets}`)}
<body><div id="root">${o.js ? '' : '<p>The dashboard\'s scripts are not built: run <code>npm run build:dashboard</code> (the install step does).</p>'}</div>
<form id="sign-out" method="post" action="/dashboard/sign-out" hidden><input type="hidden" name="csrf" value="${esc(o.csrf)}"></form>
</body></html>`;
}
