// Resources: each process type's size and quantity, changed in place (the formation API); the dynos
// with their state and uptime, restarted one by one or all; add-ons with plan and attached vars,
// created from the catalog, upgraded, destroyed once their name is typed.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { useAction, useLoad } from './hooks.ts';
import { ago, Badge, ConfirmByName, Problem } from './parts.tsx';

const SIZES = ['Eco', 'Basic', 'Standard-1X', 'Standard-2X', 'Performance-M', 'Performance-L'];

function FormationRow({ app, f, onChange }: { app: string; f: any; onChange: () => void }) {
  const [quantity, setQuantity] = useState(String(f.quantity));
  const [size, setSize] = useState(f.size);
  const act = useAction();
  const changed = quantity !== String(f.quantity) || size !== f.size;
  const save = (e: Event) => {
    e.preventDefault();
    void act.run(() => api('PATCH', `/apps/${app}/formation/${f.type}`, { quantity: Number(quantity), size })).then((ok) => ok && onChange());
  };
  return (
    <tr>
      <td><strong>{f.type}</strong><br /><code class="cmd">{f.command}</code></td>
      <td colSpan={2}>
        <form class="inline" onSubmit={save} aria-label={`Scale ${f.type}`}>
          <label><span class="sr">{f.type} dyno size</span>
            <select value={size} onChange={(e) => setSize(e.currentTarget.value)}>{SIZES.map((s) => <option key={s}>{s}</option>)}</select></label>
          <label><span class="sr">{f.type} quantity</span>
            <input type="number" min={0} max={100} class="qty" name={`quantity-${f.type}`} value={quantity} onInput={(e) => setQuantity(e.currentTarget.value)} /></label>
          <button type="submit" disabled={!changed || act.busy}>Save</button>
        </form>
        <Problem error={act.error} />
      </td>
    </tr>
  );
}

function AddonCreate({ app, onChange }: { app: string; onChange: () => void }) {
  const services = useLoad(() => api<any[]>('GET', '/addon-services'), []);
  const [service, setService] = useState('');
  const plans = useLoad(() => (service ? api<any[]>('GET', `/addon-services/${service}/plans`) : Promise.resolve([])), [service]);
  const [plan, setPlan] = useState('');
  const act = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    void act.run(() => api('POST', `/apps/${app}/addons`, { plan: plan || service })).then((ok) => ok && onChange());
  };
  return (
    <form class="inline" onSubmit={create} aria-label="Create an add-on">
      <label><span class="sr">Add-on service</span>
        <select name="service" value={service} onChange={(e) => { setService(e.currentTarget.value); setPlan(''); }}>
          <option value="">Add-on service…</option>
          {(services.data ?? []).map((s) => <option key={s.name} value={s.name}>{s.human_name}</option>)}
        </select></label>
      <label><span class="sr">Plan</span>
        <select name="plan" value={plan} onChange={(e) => setPlan(e.currentTarget.value)} disabled={!service}>
          <option value="">Default plan</option>
          {(plans.data ?? []).map((p) => <option key={p.name} value={p.name}>{p.human_name} (${(p.price.cents / 100).toFixed(0)}/mo)</option>)}
        </select></label>
      <button type="submit" disabled={!service || act.busy}>{act.busy ? 'Creating…' : 'Create add-on'}</button>
      <Problem error={act.error} />
    </form>
  );
}

function AddonRow({ app, a, onChange }: { app: string; a: any; onChange: () => void }) {
  const plans = useLoad(() => api<any[]>('GET', `/addon-services/${a.addon_service.name}/plans`), [a.addon_service.name]);
  const [plan, setPlan] = useState(a.plan.name);
  const [destroying, setDestroying] = useState(false);
  const act = useAction();
  return (
    <tr>
      <td><strong>{a.name}</strong><br /><small>{a.addon_service.human_name ?? a.addon_service.name}</small></td>
      <td>{(a.config_vars ?? []).map((v: string) => <code key={v} class="var">{v}</code>)}</td>
      <td>
        <form class="inline" aria-label={`Change the plan of ${a.name}`} onSubmit={(e) => {
          e.preventDefault();
          void act.run(() => api('PATCH', `/apps/${app}/addons/${a.id}`, { plan })).then((ok) => ok && onChange());
        }}>
          <label><span class="sr">Plan of {a.name}</span>
            <select value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
              {(plans.data ?? [a.plan]).map((p) => <option key={p.name} value={p.name}>{p.human_name ?? p.name}</option>)}
            </select></label>
          <button type="submit" class="secondary" disabled={plan === a.plan.name || act.busy}>Upgrade</button>
          <button type="button" class="secondary" onClick={() => setDestroying(!destroying)} aria-expanded={destroying}>Destroy…</button>
        </form>
        {destroying ? <ConfirmByName name={a.name} label="Destroy add-on" busy={act.busy}
          onConfirm={() => void act.run(() => api('DELETE', `/apps/${app}/addons/${a.id}`)).then((ok) => ok && onChange())} /> : null}
        <Problem error={act.error} />
      </td>
    </tr>
  );
}

export function Resources({ app }: TabProps) {
  const data = useLoad(async () => {
    const [formation, dynos, addons] = await Promise.all([
      api<any[]>('GET', `/apps/${app.name}/formation`),
      api<any[]>('GET', `/apps/${app.name}/dynos`),
      api<any[]>('GET', `/apps/${app.name}/addons`),
    ]);
    return { formation, dynos, addons };
  }, [app.name], 3000);
  const act = useAction();
  const restart = (dyno?: string) => void act.run(() => api('DELETE', `/apps/${app.name}/dynos${dyno ? `/${dyno}` : ''}`)).then(() => data.reload());
  const d = data.data;
  return (
    <section>
      <Problem error={data.error ?? act.error} />
      <div class="bar"><h2>Dynos</h2><button type="button" class="secondary" onClick={() => restart()} disabled={act.busy}>Restart all dynos</button></div>
      {d ? <>
        <table class="list">
          <thead><tr><th>Process type</th><th colSpan={2}>Size and quantity</th></tr></thead>
          <tbody>{d.formation.map((f) => <FormationRow key={`${f.type}:${f.quantity}:${f.size}`} app={app.name} f={f} onChange={data.reload} />)}</tbody>
        </table>
        {d.formation.length === 0 ? <p>No process types yet: push code with a Procfile.</p> : null}
        <table class="list dynos">
          <thead><tr><th>Dyno</th><th>State</th><th>Since</th><th>Release</th><th><span class="sr">Actions</span></th></tr></thead>
          <tbody>{d.dynos.map((y) => (
            <tr key={y.id}>
              <td><code>{y.name}</code> <small>{y.size}</small></td>
              <td><Badge status={y.state} /></td>
              <td>{ago(y.updated_at)}</td>
              <td>v{y.release.version}</td>
              <td><button type="button" class="secondary" onClick={() => restart(y.name)} disabled={act.busy}>Restart</button></td>
            </tr>
          ))}</tbody>
        </table>
        <div class="bar"><h2>Add-ons</h2></div>
        <AddonCreate app={app.name} onChange={data.reload} />
        {d.addons.length ? <table class="list addons">
          <thead><tr><th>Add-on</th><th>Attached as</th><th>Plan</th></tr></thead>
          <tbody>{d.addons.map((a) => <AddonRow key={`${a.id}:${a.plan.name}`} app={app.name} a={a} onChange={data.reload} />)}</tbody>
        </table> : <p>No add-ons.</p>}
      </> : null}
    </section>
  );
}
