// Settings: config vars (masked until revealed; each change a release), domains and certificates,
// buildpacks, maintenance mode, rename, and delete once the app's name is typed.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { useAction, useLoad } from './hooks.ts';
import { ConfirmByName, Problem } from './parts.tsx';

function ConfigVars({ app }: { app: string }) {
  const vars = useLoad(() => api<Record<string, string>>('GET', `/apps/${app}/config-vars`), [app]);
  const [revealed, setRevealed] = useState(false);
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const act = useAction();
  const set = (patch: Record<string, string | null>) => void act.run(() => api('PATCH', `/apps/${app}/config-vars`, patch)).then((ok) => {
    if (ok) { setKey(''); setValue(''); }
    void vars.reload();
  });
  return (
    <article class="card wide">
      <div class="bar"><h2>Config vars</h2>
        <button type="button" class="secondary" onClick={() => setRevealed(!revealed)} aria-pressed={revealed}>{revealed ? 'Hide config vars' : 'Reveal config vars'}</button></div>
      <Problem error={vars.error ?? act.error} />
      <table class="list vars"><tbody>
        {Object.entries(vars.data ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => (
          <tr key={k}>
            <td><code>{k}</code></td>
            <td class="value">{revealed ? <code>{v}</code> : <span><span aria-hidden="true">••••••••</span><span class="sr">hidden</span></span>}</td>
            <td>
              <button type="button" class="link" onClick={() => { setKey(k); setValue(v); }}>Edit</button>{' '}
              <button type="button" class="link" onClick={() => set({ [k]: null })} disabled={act.busy}>Remove</button>
            </td>
          </tr>
        ))}
      </tbody></table>
      <form class="inline" aria-label="Set a config var" onSubmit={(e) => { e.preventDefault(); if (key) set({ [key]: value }); }}>
        <label><span class="sr">Key</span><input name="key" placeholder="KEY" value={key} onInput={(e) => setKey(e.currentTarget.value)} /></label>
        <label><span class="sr">Value</span><input name="value" placeholder="VALUE" value={value} onInput={(e) => setValue(e.currentTarget.value)} /></label>
        <button type="submit" disabled={!key || act.busy}>Set</button>
      </form>
    </article>
  );
}

function Domains({ app }: { app: string }) {
  const data = useLoad(async () => {
    const [domains, certs] = await Promise.all([api<any[]>('GET', `/apps/${app}/domains`), api<any[]>('GET', `/apps/${app}/sni-endpoints`)]);
    return { domains, certs };
  }, [app]);
  const [hostname, setHostname] = useState('');
  const [chain, setChain] = useState('');
  const [key, setKey] = useState('');
  const act = useAction();
  const done = (ok: boolean) => { if (ok) { setHostname(''); setChain(''); setKey(''); } void data.reload(); };
  return (
    <article class="card wide">
      <h2>Domains</h2>
      <Problem error={data.error ?? act.error} />
      <ul class="domains">{(data.data?.domains ?? []).map((d) => (
        <li key={d.id}><code>{d.hostname}</code> <small>{d.kind === 'heroku' ? 'default' : `DNS target ${d.cname ?? '—'}`}{d.sni_endpoint ? `, certificate ${d.sni_endpoint.name}` : ''}</small>
          {d.kind !== 'heroku' ? <> <button type="button" class="link" disabled={act.busy}
            onClick={() => void act.run(() => api('DELETE', `/apps/${app}/domains/${d.hostname}`)).then(done)}>Remove</button></> : null}</li>
      ))}</ul>
      <form class="inline" aria-label="Add a domain" onSubmit={(e) => { e.preventDefault(); void act.run(() => api('POST', `/apps/${app}/domains`, { hostname, sni_endpoint: null })).then(done); }}>
        <label><span class="sr">Hostname</span><input name="hostname" placeholder="www.example.com" value={hostname} onInput={(e) => setHostname(e.currentTarget.value)} /></label>
        <button type="submit" disabled={!hostname || act.busy}>Add domain</button>
      </form>
      <h2 class="sub">Certificates</h2>
      <ul class="certs">{(data.data?.certs ?? []).map((c) => (
        <li key={c.id}><code>{c.name}</code> <small>{(c.ssl_cert?.cert_domains ?? []).join(', ')} · expires {String(c.ssl_cert?.expires_at ?? '').slice(0, 10)}</small>{' '}
          <button type="button" class="link" disabled={act.busy} onClick={() => void act.run(() => api('DELETE', `/apps/${app}/sni-endpoints/${c.id}`)).then(done)}>Remove</button></li>
      ))}</ul>
      <form class="stack" aria-label="Add a certificate" onSubmit={(e) => { e.preventDefault(); void act.run(() => api('POST', `/apps/${app}/sni-endpoints`, { certificate_chain: chain, private_key: key })).then(done); }}>
        <label>Certificate chain (PEM)<textarea name="chain" rows={3} value={chain} onInput={(e) => setChain(e.currentTarget.value)} /></label>
        <label>Private key (PEM)<textarea name="key" rows={3} value={key} onInput={(e) => setKey(e.currentTarget.value)} /></label>
        <button type="submit" disabled={!chain || !key || act.busy}>Add certificate</button>
      </form>
    </article>
  );
}

function Buildpacks({ app }: { app: string }) {
  const data = useLoad(() => api<any[]>('GET', `/apps/${app}/buildpack-installations`), [app]);
  const [url, setUrl] = useState('');
  const act = useAction();
  const put = (urls: string[]) => void act.run(() => api('PUT', `/apps/${app}/buildpack-installations`, { updates: urls.map((buildpack) => ({ buildpack })) }))
    .then((ok) => { if (ok) setUrl(''); void data.reload(); });
  const urls = (data.data ?? []).map((b) => b.buildpack.url as string);
  return (
    <article class="card">
      <h2>Buildpacks</h2>
      <Problem error={data.error ?? act.error} />
      {urls.length ? <ol class="buildpacks">{urls.map((u, i) => <li key={u}><code>{u}</code> <button type="button" class="link" onClick={() => put(urls.filter((_, j) => j !== i))}>Remove</button></li>)}</ol>
        : <p>None set: each build detects its buildpacks.</p>}
      <form class="inline" aria-label="Add a buildpack" onSubmit={(e) => { e.preventDefault(); put([...urls, url]); }}>
        <label><span class="sr">Buildpack</span><input name="buildpack" placeholder="heroku/nodejs" value={url} onInput={(e) => setUrl(e.currentTarget.value)} /></label>
        <button type="submit" disabled={!url || act.busy}>Add buildpack</button>
      </form>
    </article>
  );
}

export function Settings({ app, reloadApp }: TabProps) {
  const [name, setName] = useState(app.name);
  const [deleting, setDeleting] = useState(false);
  const act = useAction();
  return (
    <section class="grid">
      <ConfigVars app={app.name} />
      <article class="card">
        <h2>App</h2>
        <Problem error={act.error} />
        <p>Maintenance mode is <strong>{app.maintenance ? 'on' : 'off'}</strong>.{' '}
          <button type="button" class="secondary" disabled={act.busy}
            onClick={() => void act.run(() => api('PATCH', `/apps/${app.name}`, { maintenance: !app.maintenance })).then(reloadApp)}>
            Turn maintenance {app.maintenance ? 'off' : 'on'}</button></p>
        <form class="inline" aria-label="Rename the app" onSubmit={(e) => {
          e.preventDefault();
          void act.run(() => api('PATCH', `/apps/${app.name}`, { name })).then((ok) => { if (ok) location.hash = `#/apps/${name}/settings`; });
        }}>
          <label><span class="sr">New name</span><input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
          <button type="submit" class="secondary" disabled={name === app.name || act.busy}>Rename</button>
        </form>
        <p><button type="button" class="danger" onClick={() => setDeleting(!deleting)} aria-expanded={deleting}>Delete app…</button></p>
        {deleting ? <ConfirmByName name={app.name} label="Delete app" busy={act.busy}
          onConfirm={() => void act.run(() => api('DELETE', `/apps/${app.name}`)).then((ok) => { if (ok) location.hash = '#/'; })} /> : null}
      </article>
      <Buildpacks app={app.name} />
      <Domains app={app.name} />
    </section>
  );
}
