// Small pieces every page uses: an error line, a relative time, a status badge, a confirm-by-name form.
import { useState } from 'preact/hooks';

export function Problem({ error }: { error?: string }) {
  return error ? <p class="problem" role="alert">{error}</p> : null;
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return '—';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.floor(s)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function Badge({ status }: { status: string }) {
  return <span class={`badge ${status}`}>{status}</span>;
}

/** A destructive action that runs only once the user types `name` (as Heroku's --confirm). */
export function ConfirmByName({ name, label, onConfirm, busy }: { name: string; label: string; onConfirm: () => void; busy?: boolean }) {
  const [typed, setTyped] = useState('');
  const id = `confirm-${label.replace(/\W+/g, '-')}-${name}`;
  return (
    <form class="confirm" onSubmit={(e) => { e.preventDefault(); if (typed === name) onConfirm(); }}>
      <label for={id}>Type <strong>{name}</strong> to confirm</label>
      <input id={id} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autocomplete="off" />
      <button type="submit" class="danger" disabled={typed !== name || busy}>{label}</button>
    </form>
  );
}

/** Formation dynos (not one-offs) counted by state, as `GET /app-summaries` counts them. */
export function countStates(dynos: { state: string; type: string }[], formation: { type: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of dynos) if (formation.some((f) => f.type === d.type)) counts[d.state] = (counts[d.state] ?? 0) + 1;
  return counts;
}

/** The status a person cares about, from the app and its formation dynos by state: maintenance, crashed, up, starting, idle, or none. */
export function appStatus(app: { maintenance: boolean }, dynos: Record<string, number>): string {
  if (app.maintenance) return 'maintenance';
  for (const state of ['crashed', 'up', 'starting', 'idle']) if (dynos[state]) return state;
  return 'no dynos';
}
