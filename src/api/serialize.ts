// Database rows → Heroku Platform API v3 JSON shapes (field names and nesting as Heroku's schema has them).
import type { ListedDyno } from '../dynos/listed.ts';
import { sizeOrDefault } from '../runtime/sizes.ts';
import type { AppsTable, BuildsTable, DomainsTable, FormationTable, LogDrainsTable, ReleasesTable, SlugsTable } from '../store/schema.ts';
import { apiTime as iso } from '../store/time.ts';
import type { ApiDeps } from './deps.ts';
import { webUrl } from './deps.ts';

const stackRef = (name: string) => ({ id: name, name });

export function app(d: Pick<ApiDeps, 'publicUrl' | 'domain' | 'routerPort'>, a: AppsTable, owner: { id: string; email: string }, slugSize: number | null) {
  return {
    id: a.id, name: a.name, created_at: iso(a.created_at), updated_at: iso(a.updated_at), released_at: iso(a.released_at),
    git_url: `${d.publicUrl}/${a.name}.git`, web_url: webUrl(d, a.name), maintenance: a.maintenance === 1,
    owner: { id: owner.id, email: owner.email }, region: { id: 'local', name: 'us' },
    stack: stackRef(a.stack), build_stack: stackRef(a.stack), buildpack_provided_description: a.buildpack_provided_description,
    repo_size: null, slug_size: slugSize, archived_at: null, acm: false, team: null, organization: null, space: null,
    internal_routing: null, generation: { id: 'cedar', name: 'cedar' }, create_status: 'complete', locked: false,
  };
}

export function release(
  a: { id: string; name: string }, r: ReleasesTable, user: { id: string; email: string }, current: boolean,
  extra: { outputStreamUrl: string | null; eligibleForRollback: boolean },
) {
  return {
    id: r.id, version: r.version, description: r.description, status: r.status, current,
    slug: r.slug_id ? { id: r.slug_id } : null, user, app: { id: a.id, name: a.name },
    addon_plan_names: [], artifacts: r.slug_id ? [{ type: 'slug', id: r.slug_id }] : [],
    output_stream_url: extra.outputStreamUrl, eligible_for_rollback: extra.eligibleForRollback,
    created_at: iso(r.created_at), updated_at: iso(r.updated_at),
  };
}

export function formation(a: { id: string; name: string }, f: FormationTable, command: string) {
  const size = sizeOrDefault(f.size);
  return {
    id: f.id, app: { id: a.id, name: a.name }, type: f.type, command, quantity: f.quantity, size: size.display,
    dyno_size: { id: size.name, name: size.display }, created_at: iso(f.created_at), updated_at: iso(f.updated_at),
  };
}

export function dyno(a: { id: string; name: string }, d: ListedDyno) {
  return {
    id: d.id, name: d.name, type: d.spec.type, state: d.state, command: d.spec.command, size: d.spec.size.display,
    attach_url: null, release: { id: d.spec.release.id, version: d.spec.release.version }, app: { id: a.id, name: a.name },
    created_at: iso(d.createdAt), updated_at: iso(d.updatedAt),
    // Slipway's addition: when a crashed formation dyno will be booted again (Heroku's back-off).
    restart_at: d.state === 'crashed' && d.nextRestartAt ? iso(d.nextRestartAt) : null,
    // And under the swarm runtime, the machine (engine node) the dyno runs on.
    ...(d.node ? { node: d.node } : {}),
  };
}

export function build(a: { id: string; name: string }, b: BuildsTable, user: { id: string; email: string }, outputStreamUrl: string | null) {
  // A git push has no source URL; Heroku's schema types it a string, so clients get an empty one.
  const source = (b.source_blob ? JSON.parse(b.source_blob) : {}) as { url?: string; checksum?: string; version_description?: string };
  return {
    id: b.id, app: { id: a.id, name: a.name }, status: b.status, stack: b.stack, user,
    source_blob: { url: source.url ?? '', version: b.source_version, checksum: source.checksum ?? null, version_description: source.version_description ?? null },
    buildpacks: b.buildpacks ? JSON.parse(b.buildpacks) : null, output_stream_url: outputStreamUrl,
    release: b.release_id ? { id: b.release_id } : null, slug: b.slug_id ? { id: b.slug_id } : null,
    created_at: iso(b.created_at), updated_at: iso(b.updated_at),
  };
}

/** `blob` is where to PUT the tarball (a slug just created) or GET it (an uploaded one). */
export function slug(a: { id: string; name: string }, s: SlugsTable, blob: { method: 'GET' | 'PUT'; url: string | null }) {
  return {
    id: s.id, app: { id: a.id, name: a.name }, blob, process_types: JSON.parse(s.process_types),
    // A layered slug's blob is its app part: its checksum is the whole tarball's, recorded when packed.
    commit: s.commit, commit_description: s.commit_description, checksum: s.blob ? `SHA256:${s.checksum ?? s.blob}` : null, size: s.blob ? s.size : null,
    stack: stackRef(s.stack), buildpack_provided_description: s.buildpack_provided_description, created_at: iso(s.created_at),
    updated_at: iso(s.created_at),
  };
}

export function logDrain(a: { id: string; name: string }, r: LogDrainsTable) {
  return {
    id: r.id, url: r.url, token: r.token, addon: null, app: { id: a.id, name: a.name },
    created_at: iso(r.created_at), updated_at: iso(r.updated_at),
  };
}

/** A custom domain (`kind: custom`), or with `row` null the app's default host (`kind: heroku`). */
export function domain(a: AppsTable, hostname: string, row: DomainsTable | null, sni: { id: string; name: string } | null) {
  return {
    acm_status: null, acm_status_reason: null, app: { id: a.id, name: a.name }, cname: row ? row.cname : null,
    created_at: iso(row ? row.created_at : a.created_at), updated_at: iso(row ? row.updated_at : a.updated_at), hostname,
    id: row ? row.id : a.id, kind: row ? 'custom' : 'heroku', status: 'none', sni_endpoint: sni,
  };
}
