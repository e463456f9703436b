// Access: everyone who reaches the app with their role (the owner, a team app's members, collaborators:
// apps/access.ts decides, the collaborators API lists), adding a collaborator by email and removing one.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { useAction, useLoad } from './hooks.ts';
import { Problem } from './parts.tsx';

export function Access({ app }: TabProps) {
  const people = useLoad(() => api<any[]>('GET', `/apps/${app.name}/collaborators`), [app.name]);
  const [email, setEmail] = useState('');
  const act = useAction();
  const done = (ok: boolean) => { if (ok) setEmail(''); void people.reload(); };
  return (
    <section class="card">
      <h2>Owner</h2>
      <p>{app.owner?.email}{app.team ? <small> (team {app.team.name})</small> : null}</p>
      <h2>People with access</h2>
      <Problem error={people.error ?? act.error} />
      {people.loading && !people.data ? <p>Loading…</p> : (people.data ?? []).length === 0 ? <p>Only the owner (and the platform's operator).</p> : (
        <table class="list access"><tbody>
          {(people.data ?? []).map((c) => (
            <tr key={c.id}>
              <td>{c.user?.email}</td><td><small>{c.role ?? ''}</small></td>
              <td>{c.role === 'collaborator' ? <button type="button" class="link" disabled={act.busy}
                onClick={() => void act.run(() => api('DELETE', `/apps/${app.name}/collaborators/${encodeURIComponent(c.user.email)}`)).then(done)}>Remove</button> : null}</td>
            </tr>
          ))}
        </tbody></table>
      )}
      <form class="inline" aria-label="Add a collaborator" onSubmit={(e) => {
        e.preventDefault();
        void act.run(() => api('POST', `/apps/${app.name}/collaborators`, { user: email.trim() })).then(done);
      }}>
        <label><span class="sr">Email</span><input name="email" type="email" placeholder="dev@example.com" value={email} onInput={(e) => setEmail(e.currentTarget.value)} /></label>
        <button type="submit" disabled={!email.trim() || act.busy}>Add collaborator</button>
      </form>
    </section>
  );
}
