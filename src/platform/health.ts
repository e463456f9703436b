// Wires the platform's health (health/) to its parts: what each readiness check looks at, and where the
// metrics read what the parts keep.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { sql } from 'kysely';
import { diskUse, HealthEndpoints, overHighWater, PlatformMetrics, type Check } from '../health/index.ts';
import type { Db } from '../store/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { Drains, Logplex } from '../logs/index.ts';
import type { DynoManager } from '../dynos/manager.ts';

export interface PlatformHealthOptions {
  db: Db;
  dataDir: string;
  runtime: Runtime;
  /** Why the router's HAProxy is not serving (undefined: it serves, or the Node router alone is used). */
  haproxyProblem: () => string | undefined;
  logs: Logplex;
  drains: Drains;
  dynos: DynoManager;
  highWater: number;
  metricsToken?: string;
}

/** Whether `name` is an executable file on PATH. */
export async function onPath(name: string, path = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    if (await access(join(dir, name), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

export function platformHealth(o: PlatformHealthOptions): { endpoints: HealthEndpoints; metrics: PlatformMetrics } {
  const checks: Record<string, Check> = {
    database: async () => {
      await sql`SELECT count(*) FROM apps`.execute(o.db);
      return undefined;
    },
    haproxy: async () => o.haproxyProblem(),
    runtime: async () => {
      if (o.runtime.name === 'process') return undefined;
      return (await onPath('runc')) ? undefined : 'runc is not on PATH: dynos cannot start (install the runc package)';
    },
    stack: async () => {
      const s = await stat(join(o.runtime.stackDir, 'usr', 'bin')).catch(() => undefined);
      return s?.isDirectory() ? undefined : `the stack ${o.runtime.stack} is missing at ${o.runtime.stackDir}: run \`slipway stack:make\``;
    },
    disk: async () => overHighWater(await diskUse(o.dataDir), o.highWater),
  };
  const metrics = new PlatformMetrics({
    dataDir: o.dataDir,
    dynoStates: async () => (await o.db.selectFrom('apps').select('id').execute()).flatMap((a) => o.dynos.listed(a.id).map((d) => d.state)),
    logCounts: () => o.logs.counts,
    drainBacklogs: () => o.drains.backlogs(),
    finishedBuilds: async (since) => {
      const rows = await o.db.selectFrom('builds').select(['status', 'created_at', 'updated_at'])
        .where('status', '!=', 'pending').where('updated_at', '>', since).orderBy('updated_at').limit(10_000).execute();
      return rows.map((r) => ({ status: r.status, seconds: Math.max(0, (Date.parse(r.updated_at) - Date.parse(r.created_at)) / 1000), finishedAt: r.updated_at }));
    },
  });
  return { endpoints: new HealthEndpoints({ checks, metrics, metricsToken: o.metricsToken }), metrics };
}
