// What a start brought back, for the operator's log: after a reboot or a crash, every app's formation,
// the add-on servers, the drains and the certificates come back from the store with no manual step, and
// this line says how many of each (and which apps have dynos that did not come up yet).
import type { Db } from '../store/index.ts';

export interface Recovered {
  apps: number;
  dynos: number;
  addons: number;
  drains: number;
  certificates: number;
}

export async function recovered(db: Db): Promise<Recovered> {
  const released = db.selectFrom('releases').select('app_id').where('status', '=', 'succeeded');
  const formation = await db.selectFrom('formation').select(['app_id', 'quantity']).where('quantity', '>', 0).where('app_id', 'in', released).execute();
  const count = async (table: 'addons' | 'log_drains' | 'sni_endpoints') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
  return {
    apps: new Set(formation.map((f) => f.app_id)).size,
    dynos: formation.reduce((n, f) => n + f.quantity, 0),
    addons: await count('addons'),
    drains: await count('log_drains'),
    certificates: await count('sni_endpoints'),
  };
}

export function recoveryLine(r: Recovered): string {
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  return `Recovered from the store: ${n(r.apps, 'app')} brought to ${r.apps === 1 ? 'its' : 'their'} formation (${n(r.dynos, 'dyno')}), ${n(r.addons, 'add-on')} with ${r.addons === 1 ? 'its server' : 'their servers'}, ${n(r.drains, 'drain')}, ${n(r.certificates, 'certificate')}.`;
}
