// The apps list: each app with its owner, formation, the release its dynos run and status, filterable by name,
// owner or status.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { useLoad } from './hooks.ts';
import { ago, appStatus, Badge, Problem } from './parts.tsx';

interface Row {
  name: string; owner: string; formation: string; status: string;
  release?: { version: number; user: string; created_at: string };
}

/** One request for the whole list, however many apps (GET /app-summaries). */
async function loadRows(): Promise<Row[]> {
  const apps = await api<any[]>('GET', '/app-summaries');
  return apps.map((a) => {
    const r = a.current_release;
    return {
      name: a.name, owner: a.owner?.email ?? '—', status: appStatus(a, a.dynos ?? {}),
      formation: (a.formation as any[]).map((f) => `${f.type}=${f.quantity}:${f.size}`).join(' ') || 'none',
      release: r && { version: r.version, user: r.user?.email ?? '—', created_at: r.created_at },
    };
  });
}

export function AppsList() {
  const rows = useLoad(loadRows, [], 10_000);
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const shown = (rows.data ?? []).filter((r) => !f || r.name.includes(f) || r.owner.toLowerCase().includes(f) || r.status.includes(f));
  return (
    <main>
      <div class="bar">
        <h1>Apps</h1>
        <label class="filter">
          <span class="sr">Filter apps</span>
          <input type="search" placeholder="Filter by name, owner or status" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      <Problem error={rows.error} />
      {rows.loading && !rows.data ? <p>Loading…</p> : null}
      {rows.data && rows.data.length === 0 ? <p>No apps yet. Create one with <code>slipway apps:create</code>.</p> : null}
      {shown.length > 0 ? (
        <table class="list apps">
          <thead><tr><th>App</th><th>Owner</th><th>Formation</th><th>Release</th><th>Status</th></tr></thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.name}>
                <td><a href={`#/apps/${r.name}`}>{r.name}</a></td>
                <td>{r.owner}</td>
                <td><code>{r.formation}</code></td>
                <td>{r.release ? `v${r.release.version} by ${r.release.user}, ${ago(r.release.created_at)}` : '—'}</td>
                <td><Badge status={r.status} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : rows.data && rows.data.length > 0 ? <p>No app matches “{filter}”.</p> : null}
    </main>
  );
}
