// Route tests without a platform: the API's Fastify instance (http.ts, as served) with the routes under
// test over narrow fakes of the components. A fake holds only the methods a test expects to be called;
// any other is a test failure naming it, so a test also shows which components a route uses.
import type { Account } from '../accounts/index.ts';
import type { AppRow } from '../apps/index.ts';
import { notFound } from '../errors.ts';
import { createHttpApi, type Api } from './http.ts';

export const KEY = 'test-key';
export const USER: Account = { id: '00000000-0000-4000-8000-000000000001', email: 'dev@example.com' };

/** An API with the routes `register` adds, answering callers that present KEY as USER. */
export async function apiWith(register: (api: Api) => void): Promise<Api> {
  const api = await createHttpApi({
    authenticate: async (req) => (req.headers.authorization === `Bearer ${KEY}` ? USER : undefined),
    onInternalError: () => undefined,
  });
  register(api);
  await api.ready();
  return api;
}

/** A request as the official CLI sends it: with the key, JSON when there is a body. */
export async function call(api: Api, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await api.inject({
    method, url, headers: { authorization: `Bearer ${KEY}`, accept: 'application/vnd.heroku+json; version=3', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}

/** A request exactly as given: no key, body or content type added (bodiless POSTs, wrong keys, public paths). */
export function raw(api: Api, method: 'GET' | 'POST' | 'DELETE', path: string, headers: Record<string, string> = {}) {
  return api.inject({ method, url: path, headers });
}

/** A fake of component T: the methods given, and a thrown error naming any other that is called. */
export function fake<T>(impl: Partial<Record<keyof T, unknown>>, name = 'component'): T {
  return new Proxy(impl as object, {
    get(target, prop) {
      if (prop in target) return (target as Record<string | symbol, unknown>)[prop];
      if (prop === 'then') return undefined;
      throw new Error(`the route called ${name}.${String(prop)}, which this test does not expect`);
    },
  }) as T;
}

export function appRow(name = 'my-app', o: Partial<AppRow> = {}): AppRow {
  const t = '2026-12-01T10:00:00.000Z';
  return {
    id: `a0000000-0000-4000-8000-${name.length.toString().padStart(12, '0')}`, name, owner_id: USER.id, team_id: null, stack: 'slipway-12', maintenance: 0,
    buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t, ...o,
  };
}

/** Apps that finds `rows` by id or name, and the owner for every app. */
export function appsOf(...rows: AppRow[]) {
  return {
    apps: {
      find: async (key: string) => {
        const a = rows.find((r) => r.id === key || r.name === key);
        if (!a) throw notFound('app', "Couldn't find that app.");
        return a;
      },
      refs: async (ids: string[]) => new Map(ids.map((id) => [id, { id, name: rows.find((r) => r.id === id)?.name ?? 'unknown' }])),
      slugSize: async () => null,
    },
    accounts: { users: async (ids: string[]) => new Map(ids.map((id) => [id, USER])) },
  };
}
