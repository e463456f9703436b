// Overview: the formation, the add-ons, the latest activity, and the last hour's requests and errors.
import { api } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { useLoad } from './hooks.ts';
import { ago, appStatus, Badge, countStates, Problem } from './parts.tsx';

export function Overview({ app }: TabProps) {
  const since = new Date(Date.now() - 3600_000).toISOString();
  const data = useLoad(async () => {
    const [formation, dynos, addons, releases, metrics] = await Promise.all([
      api<any[]>('GET', `/apps/${app.name}/formation`),
      api<any[]>('GET', `/apps/${app.name}/dynos`),
      api<any[]>('GET', `/apps/${app.name}/addons`),
      api<any[]>('GET', `/apps/${app.name}/releases`, undefined, { Range: 'version ..; order=desc, max=5' }),
      api<any[]>('GET', `/apps/${app.name}/router-metrics?since=${encodeURIComponent(since)}`),
    ]);
    let requests = 0;
    let errors = 0;
    for (const m of metrics) {
      for (const [cls, n] of Object.entries(m.requests as Record<string, number>)) {
        requests += n;
        if (cls === '5xx') errors += n;
      }
    }
    return { formation, dynos, addons, releases, requests, errors };
  }, [app.name], 10_000);
  const d = data.data;
  return (
    <section class="grid">
      <Problem error={data.error} />
      {d ? <>
        <article class="card">
          <h2>Status</h2>
          <p><Badge status={appStatus(app, countStates(d.dynos, d.formation))} /></p>
          <h2>Last hour</h2>
          <p><strong>{d.requests}</strong> {d.requests === 1 ? 'request' : 'requests'} · <strong>{d.errors}</strong> 5xx {d.errors === 1 ? 'error' : 'errors'}</p>
        </article>
        <article class="card">
          <h2>Dyno formation</h2>
          {d.formation.length ? <ul>{d.formation.map((f) => <li key={f.type}><code>{f.type}</code>: {f.quantity} × {f.size}</li>)}</ul> : <p>No process types yet: push code.</p>}
          <p><a href={`#/apps/${app.name}/resources`}>Change formation</a></p>
        </article>
        <article class="card">
          <h2>Add-ons</h2>
          {d.addons.length ? <ul>{d.addons.map((a) => <li key={a.id}>{a.name} <small>({a.plan.name})</small></li>)}</ul> : <p>None.</p>}
        </article>
        <article class="card wide">
          <h2>Latest activity</h2>
          <ul class="activity">{d.releases.map((r) => <li key={r.id}><strong>v{r.version}</strong> {r.description} <small>— {r.user.email}, {ago(r.created_at)}</small></li>)}</ul>
          <p><a href={`#/apps/${app.name}/activity`}>All activity</a></p>
        </article>
      </> : null}
    </section>
  );
}
