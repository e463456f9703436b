// One app: its name, status and tabs (Heroku Dashboard's: Overview, Resources, Deploy, Activity, Metrics,
// Logs, Access, Settings), each a component of its own loading what it shows from the API.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { useLoad } from './hooks.ts';
import { Problem } from './parts.tsx';
import { Access } from './access.tsx';
import { Activity } from './activity.tsx';
import { Deploy } from './deploy.tsx';
import { Logs } from './logs.tsx';
import { Overview } from './overview.tsx';
import { Resources } from './resources.tsx';
import { Settings } from './settings.tsx';

export interface TabProps { app: any; reloadApp: () => Promise<void> }

/** The Metrics page, loaded (with its chart library) the first time it is shown. */
function Metrics(props: TabProps) {
  const [page, setPage] = useState<ComponentType<TabProps>>();
  const [error, setError] = useState<string>();
  useEffect(() => { import('./metrics.tsx').then((m) => setPage(() => m.Metrics), (err) => setError(String(err))); }, []);
  const Page = page;
  return Page ? <Page {...props} /> : error ? <Problem error={error} /> : <p>Loading…</p>;
}

const TABS: [string, string, ComponentType<TabProps>][] = [
  ['overview', 'Overview', Overview],
  ['resources', 'Resources', Resources],
  ['deploy', 'Deploy', Deploy],
  ['activity', 'Activity', Activity],
  ['metrics', 'Metrics', Metrics],
  ['logs', 'Logs', Logs],
  ['access', 'Access', Access],
  ['settings', 'Settings', Settings],
];

export function AppPage({ name, tab }: { name: string; tab: string }) {
  const app = useLoad(() => api('GET', `/apps/${name}`), [name]);
  const current = TABS.find(([id]) => id === tab) ?? TABS[0]!;
  const Tab = current[2];
  return (
    <main>
      <p class="crumbs"><a href="#/">Apps</a> / <strong>{name}</strong>
        {app.data ? <> · <a href={app.data.web_url} target="_blank" rel="noopener noreferrer">Open app</a></> : null}</p>
      <nav class="tabs" aria-label="App">
        {TABS.map(([id, label]) => (
          <a key={id} href={`#/apps/${name}/${id}`} aria-current={id === current[0] ? 'page' : undefined}>{label}</a>
        ))}
      </nav>
      <Problem error={app.error} />
      {app.data ? <Tab app={app.data} reloadApp={app.reload} /> : app.loading ? <p>Loading…</p> : null}
    </main>
  );
}
