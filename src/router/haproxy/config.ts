// HAProxy's configuration for the router's data path, pure: the platform's view of apps in, config
// text out. HAProxy moves the bytes (keep-alive pools to dynos, random choice, Heroku's headers, the
// timeouts that become H12/H15/H28, error pages); whatever it cannot decide — no app for the Host, no
// dyno up (hold while booting, H10, H14, H20), maintenance — goes to the Node router behind it on a
// private unix socket (its `fallback` backend, and each app backend's backup server).
//
// Each app is a backend `app-<id>` with server slots `s1` … `s100` (Heroku's per-app dyno limit);
// the controller gives each up web dyno a slot of its own through HAProxy's runtime API, so scaling
// and restarts never reload, and a slot is never re-pointed while connections to its last dyno may
// still be pooled. Apps, domains and maintenance are in the config: changing them reloads.

export interface HaproxyApp {
  id: string;
  /** Every Host the app answers (`<app>.<domain>` and its custom domains), lower-case. */
  hosts: string[];
  /** Routed to the Node router, which answers H80. */
  maintenance: boolean;
  /** Web dynos that are up, each with the slot (`s1`…) it has and its dyno name. */
  servers: { slot: string; dyno: string; host: string; port: number }[];
  /** The app's own error response (ERROR_PAGE_URL), in place of the application error page. */
  errorFile?: string;
}

export interface HaproxyPaths {
  /** Runtime API (admin level), mode 600. */
  statsSocket: string;
  /** The Node router's trusted listener, as HAProxy's workers see it (inside the jail when there is one). */
  fallbackSocket: string;
  /** Host → backend map file (written next to the config). */
  hostsMap: string;
  /** The 503 application-error response file used for 502/503/504. */
  errorFile: string;
}

export interface HaproxyTimeouts {
  connectMs: number;
  /** First byte from the dyno (H12); also the dyno's silence limit mid-response (see docs). */
  serverMs: number;
  /**
   * Requests one dyno is given at once; more wait in the app's queue for at most `queueMs`, then
   * get H11 (Heroku: 200 in flight per web dyno, then H11 at once).
   */
  backlogPerDyno: number;
  queueMs: number;
  /** Idle window once a WebSocket is open, and a client's silence mid-request (H28). */
  idleMs: number;
  /** Idle client connection between requests, and time to send a request's head (408). */
  clientKeepAliveMs: number;
}

/**
 * What HAProxy's workers are shut in: the uid and gid they run as once the master (root) has bound the
 * ports and read every file, and the empty directory they are chrooted to. Every path the workers
 * open later (the Node router's socket) is then a path inside it.
 */
export interface HaproxyJail { uid: number; gid: number; dir: string }

export interface HaproxySettings {
  listen: { host: string; port: number };
  /** Unset: the workers keep the master's uid (a platform that is not root cannot change it). */
  jail?: HaproxyJail;
  /**
   * The TLS port: the default certificate (for `*.<domain>`) and a crt-list that picks each custom
   * domain's certificate by SNI; HTTP/2 offered by ALPN. Requests reach dynos as HTTP/1.1.
   */
  tls?: { port: number; defaultPem: string; crtList: string };
  /** TCP port on loopback where the controller receives HAProxy's log lines. */
  logPort: number;
  /** HAProxy's worker threads; unset lets HAProxy take one per core. */
  threads?: number;
  timeouts: HaproxyTimeouts;
  paths: HaproxyPaths;
}

export const SLOTS_PER_APP = 100;

/** The backend name for an app; log lines carry it, so the controller knows the app from it. */
export const backendName = (appId: string): string => `app-${appId}`;

/**
 * One log line per request: the fields below, each ended by `]`. `%{+E}o` makes HAProxy escape
 * `\`, `"` and `]` inside every field with a backslash, so an unescaped `]` always ends a field,
 * whatever a client put in its headers. The last four are Heroku's router line as it prints them
 * (`method=… path="…" host=… request_id=…`): for a line with nothing escaped in it the controller
 * copies them through rather than rebuilding them. Read by `routerLine` in logline.ts.
 */
export const LOG_FORMAT_FIELDS = [
  '%b', // backend: app-<id> or fallback
  '%s', // server slot: s1 … (the controller knows which dyno it serves)
  '%tsc', // termination state (the H-code)
  '%ST',
  '%B',
  '%Ta', // active time
  '%Th', // handshake (TLS)
  '%Tw', // queue
  '%Tc', // connect
  '%[ssl_fc]',
  '%[var(txn.fwd)]',
  'method=%HM',
  ' path="%HU"',
  ' host=%[capture.req.hdr(0),lower,field(1,:)]', // captured while parsing: a request cut before the rules ran still names its app
  ' request_id=%[var(txn.rid)]',
];

const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`;
const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function haproxyConfig(s: HaproxySettings, apps: readonly HaproxyApp[]): string {
  const t = s.timeouts;
  // A wildcard domain costs every request a second map lookup, so the rule is there only when one is.
  const wildcards = apps.some((a) => !a.maintenance && a.hosts.some((h) => h.startsWith('*.')));
  const lines: string[] = [
    '# Written by the Slipway router controller; changes here are overwritten.',
    // Log lines go into a ring buffer that HAProxy forwards over one TCP connection, newline-delimited:
    // writing a line costs the request path a memory copy, not a syscall (a UDP datagram per request
    // cost about a quarter of HAProxy's throughput). A reader that falls 4 MB behind loses the oldest.
    'ring requests',
    '  format raw',
    '  maxlen 16384',
    '  size 4194304',
    '  timeout connect 5s',
    '  timeout server 60s',
    `  server controller 127.0.0.1:${s.logPort}`,
    '',
    'global',
    `  stats socket ${s.paths.statsSocket} mode 600 level admin`,
    '  log ring@requests len 16384 format raw local3 info',
    ...(s.jail ? [`  uid ${s.jail.uid}`, `  gid ${s.jail.gid}`, `  chroot ${s.jail.dir}`] : []),
    ...(s.threads ? [`  nbthread ${s.threads}`] : []),
    '  maxconn 8000',
    '  tune.bufsize 32768',
    '  tune.maxrewrite 8192',
    '  tune.http.maxhdr 1000',
    '  hard-stop-after 10m',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option dontlognull',
    '  option http-ignore-probes',
    // On a reload the old worker answers the next request of each idle client connection with
    // `Connection: close` instead of closing it under the client (which a client reusing it sees as a hang-up).
    '  option idle-close-on-response',
    // A client that hangs up while its request is with the dyno ends it (H27), as on Heroku.
    '  option abortonclose',
    // The request head and the start of its body are read before a dyno is chosen, within the idle
    // window: a client that stalls its body there gets 408 and the line says H28; the dyno never waits on it.
    '  option http-buffer-request',
    `  timeout connect ${ms(t.connectMs)}`,
    `  timeout queue ${ms(t.queueMs)}`,
    `  timeout server ${ms(t.serverMs)}`,
    `  timeout client ${ms(t.idleMs)}`,
    `  timeout tunnel ${ms(t.idleMs)}`,
    `  timeout http-request ${ms(Math.min(t.idleMs, t.clientKeepAliveMs))}`,
    `  timeout http-keep-alive ${ms(t.clientKeepAliveMs)}`,
    '  timeout client-fin 5s',
    '  timeout server-fin 5s',
    // Up to four connect attempts, each to another dyno when there is one (Heroku: up to ten, fewer
    // with fewer dynos); a second attempt on the same dyno waits HAProxy's turn-around of
    // min(connect timeout, 1 s), so a one-dyno app's H21 comes after about 3 s.
    '  retries 3',
    '  option redispatch 1',
    '  http-reuse safe',
    `  errorfile 502 ${s.paths.errorFile}`,
    `  errorfile 503 ${s.paths.errorFile}`,
    `  errorfile 504 ${s.paths.errorFile}`,
    '',
    ...frontend('http', `  bind ${s.listen.host}:${s.listen.port}`, s, wildcards),
    ...(s.tls ? frontend('https', `  bind ${s.listen.host}:${s.tls.port} ssl crt ${s.tls.defaultPem} crt-list ${s.tls.crtList} alpn h2,http/1.1`, s, wildcards) : []),
    'backend fallback',
    `  server node unix@${s.paths.fallbackSocket}`,
  ];
  for (const app of apps) {
    lines.push('', `backend ${backendName(app.id)}`, '  balance random');
    if (app.errorFile) for (const status of [502, 503, 504]) lines.push(`  errorfile ${status} ${app.errorFile}`);
    const used = new Map(app.servers.map((sv) => [sv.slot, sv]));
    for (let i = 1; i <= SLOTS_PER_APP; i++) {
      const sv = used.get(`s${i}`);
      lines.push(sv ? `  server s${i} ${sv.host}:${sv.port} maxconn ${t.backlogPerDyno}` : `  server s${i} 127.0.0.1:1 disabled maxconn ${t.backlogPerDyno}`);
    }
    lines.push(`  server node unix@${s.paths.fallbackSocket} backup`);
  }
  lines.push('');
  return lines.join('\n');
}

/** One listener's rules: Heroku's request headers, the Host → backend choice, the log level. */
function frontend(proto: 'http' | 'https', bind: string, s: HaproxySettings, wildcards: boolean): string[] {
  return [
    `frontend ${proto}`,
    bind,
    '  capture request header Host len 256',
    `  log-format ${q('%{+E}o' + LOG_FORMAT_FIELDS.map((f) => `${f}]`).join(''))}`,
    // Heroku's limits: a request line past 8 KB is a 400, a header line past 8 KB a 431 (checked only
    // when the header block is that long); over 1000 headers HAProxy itself answers 400.
    '  http-request deny deny_status 400 if { url_len gt 8192 }',
    '  http-request return status 431 content-type "text/plain; charset=utf-8" string "Request header fields too large: each header line may be at most 8192 bytes." hdr Connection close if { req.hdrs,length gt 8192 } { req.hdrs -m reg [^\\r\\n]{8193} }',
    // Host: lower-cased, port and trailing dot removed, as the Node router reads it.
    '  http-request set-var(txn.host) req.hdr(host),lower,field(1,:),regsub(\\.$,)',
    // A client's X-Request-Id is kept when Heroku would keep it; otherwise a new UUID.
    '  http-request set-var(txn.rid) req.hdr(x-request-id) if { req.hdr_cnt(x-request-id) eq 1 } { req.hdr(x-request-id) -m reg ^[-+=/A-Za-z0-9]{20,200}$ }',
    '  http-request set-var(txn.rid) uuid() unless { var(txn.rid) -m found }',
    '  http-request set-header X-Request-Id %[var(txn.rid)]',
    '  http-request set-var(txn.fwd) src,ipmask(32,128)',
    '  http-request set-var-fmt(txn.fwd) "%[req.fhdr(x-forwarded-for)], %[src]" if { req.fhdr(x-forwarded-for) -m found }',
    '  http-request set-header X-Forwarded-For %[var(txn.fwd)]',
    `  http-request set-header X-Forwarded-Proto ${proto}`,
    '  http-request set-header X-Forwarded-Port %[dst_port]',
    '  http-request set-header X-Request-Start %[date(0,ms)]',
    '  http-request set-header Via "%[req.fhdr(via)], 1.1 vegur" if { req.fhdr(via) -m found }',
    '  http-request set-header Via "1.1 vegur" unless { req.fhdr(via) -m found }',
    '  http-request del-header Expect if { req.hdr(expect) -m str -i 100-continue }',
    // An exact Host first; else the wildcard domain one label up (`a.example.com` → `*.example.com`).
    ...(wildcards ? [`  use_backend %[var(txn.host),regsub(^[^.]+\\.,*.),map(${s.paths.hostsMap})] if !{ var(txn.host),map(${s.paths.hostsMap}) -m found } { var(txn.host),regsub(^[^.]+\\.,*.),map(${s.paths.hostsMap}) -m found }`] : []),
    `  use_backend %[var(txn.host),map(${s.paths.hostsMap},fallback)]`,
    '  default_backend fallback',
    // The Node router logs the requests it answers itself.
    '  http-response set-log-level silent if { srv_name node }',
    '  http-response add-header Via "1.1 vegur" unless { srv_name node }',
    '',
  ];
}

/** The crt-list: each SNI endpoint's PEM file with the hostnames it is served for. */
export function crtList(certs: readonly { pemFile: string; hostnames: readonly string[] }[]): string {
  return certs.filter((c) => c.hostnames.length > 0).map((c) => `${c.pemFile} ${c.hostnames.join(' ')}`).join('\n') + '\n';
}

/** The Host → backend map: apps in maintenance are left out, so the Node router answers them. */
export function hostsMap(apps: readonly HaproxyApp[]): string {
  const rows: string[] = [];
  for (const app of apps) {
    if (app.maintenance) continue;
    for (const host of app.hosts) rows.push(`${host} ${backendName(app.id)}`);
  }
  return rows.join('\n') + '\n';
}
