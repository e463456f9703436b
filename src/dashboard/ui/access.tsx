// Access: the app's owner and its collaborators (the collaborators API arrives with teams and roles;
// until the platform serves it, the page says so).
import { api, ApiError } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { useLoad } from './hooks.ts';
import { Problem } from './parts.tsx';

export function Access({ app }: TabProps) {
  const collaborators = useLoad(async () => {
    try {
      return await api<any[]>('GET', `/apps/${app.name}/collaborators`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }, [app.name]);
  return (
    <section class="card">
      <h2>Owner</h2>
      <p>{app.owner?.email}</p>
      <h2>Collaborators</h2>
      <Problem error={collaborators.error} />
      {collaborators.loading ? <p>Loading…</p> : collaborators.data === undefined ? <p>This platform does not serve collaborators yet: only the owner and the operator reach this app.</p>
        : collaborators.data.length === 0 ? <p>None.</p>
        : <ul>{collaborators.data.map((c) => <li key={c.id}>{c.user?.email} <small>{c.role ?? ''}</small></li>)}</ul>}
    </section>
  );
}
