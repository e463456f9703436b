// Domains, features, router metrics and drains over fakes: what their schemas refuse, with the messages
// the handlers gave before there were schemas, and what they pass on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainRow, Domains, Features } from '../../apps/index.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { apiWith, appRow, appsOf, call, fake } from '../test-helpers.ts';
import { domainRoutes } from './domains.ts';
import { drainRoutes } from './drains.ts';
import { featureRoutes } from './features.ts';
import { metricsRoutes } from './metrics.ts';

const app = appRow('my-app');
const www: DomainRow = { id: 'd0000000-0000-4000-8000-000000000001', app_id: app.id, hostname: 'www.example.com', cname: 'my-app.localhost', sni_endpoint_id: null, created_at: app.created_at, updated_at: app.updated_at };

function setup(domains: Partial<Record<keyof Domains, unknown>> = {}, features: Partial<Record<keyof Features, unknown>> = {}) {
  const d = fake<ApiDeps>({
    apps: appsOf(app).apps as unknown as ApiDeps['apps'],
    domains: fake<Domains>({ defaultHost: (a: { name: string }) => `${a.name}.localhost`, ...domains }, 'domains'),
    sniEndpoints: fake<ApiDeps['sniEndpoints']>({ refs: async () => new Map() }, 'sniEndpoints'),
    features: fake<Features>(features, 'features'),
    routerMetrics: fake<ApiDeps['routerMetrics']>({ currentMinute: () => undefined }, 'routerMetrics'),
    routerMetricsStore: fake<ApiDeps['routerMetricsStore']>({ since: async () => [] }, 'routerMetricsStore'),
    drains: fake<ApiDeps['drains']>({}, 'drains'),
  }, 'deps');
  return apiWith((api) => { domainRoutes(api, d); featureRoutes(api, d); metricsRoutes(api, d); drainRoutes(api, d); });
}

test('domains:add passes the hostname and the CLI\'s sni_endpoint null; a missing hostname or a non-string endpoint is refused', async () => {
  const added: unknown[] = [];
  const api = await setup({ add: async (_a: unknown, h: string, sni: unknown) => { added.push([h, sni]); return www; } });
  const r = await call(api, 'POST', '/apps/my-app/domains', { hostname: 'www.example.com', sni_endpoint: null });
  assert.equal(r.status, 201);
  assert.equal(r.body.kind, 'custom');
  assert.equal(r.body.cname, 'my-app.localhost');
  assert.equal(r.body.created_at, '2026-12-01T10:00:00Z');
  for (const body of [{}, { hostname: '' }, { hostname: 42 }]) {
    const bad = await call(api, 'POST', '/apps/my-app/domains', body);
    assert.deepEqual(bad.body, { id: 'invalid_params', message: 'hostname is required, e.g. {"hostname": "www.example.com"}.' });
  }
  const sni = await call(api, 'POST', '/apps/my-app/domains', { hostname: 'api.example.com', sni_endpoint: 3 });
  assert.deepEqual(sni.body, { id: 'invalid_params', message: 'sni_endpoint must be an SNI endpoint name or null.' });
  assert.deepEqual(added, [['www.example.com', null]]);
});

test('the domain list starts with the default host; PATCH with no endpoint detaches', async () => {
  const set: unknown[] = [];
  const api = await setup({ list: async () => [www], setSniEndpoint: async (_a: unknown, key: string, sni: unknown) => { set.push([key, sni]); return www; } });
  const list = await call(api, 'GET', '/apps/my-app/domains', undefined, { range: 'id ..; max=1000;' });
  assert.deepEqual(list.body.map((x: { kind: string; hostname: string }) => [x.kind, x.hostname]), [['heroku', 'my-app.localhost'], ['custom', 'www.example.com']]);
  assert.equal((await call(api, 'PATCH', '/apps/my-app/domains/www.example.com', {})).status, 200);
  assert.deepEqual(set, [['www.example.com', null]]);
});

test('features:enable needs a boolean; an unknown feature is the component\'s 404', async () => {
  const api = await setup({}, {
    enabled: async () => new Set(), set: async () => new Set(['preboot']),
    check: (name: string) => { if (name !== 'preboot') throw notFound('feature', `Couldn't find that feature (${name}).`); return name; },
  });
  const on = await call(api, 'PATCH', '/apps/my-app/features/preboot', { enabled: true });
  assert.equal(on.body.enabled, true);
  const text = await call(api, 'PATCH', '/apps/my-app/features/preboot', { enabled: 'true' });
  assert.deepEqual(text.body, { id: 'invalid_params', message: 'enabled must be true or false.' });
  const unknown = await call(api, 'GET', '/apps/my-app/features/teleport');
  assert.equal(unknown.status, 404);
});

test('router metrics refuse a since that is not a time; drains:add refuses a missing url with the drain rule\'s words', async () => {
  const api = await setup();
  const since = await call(api, 'GET', '/apps/my-app/router-metrics?since=yesterday');
  assert.deepEqual(since.body, { id: 'invalid_params', message: 'since must be a time such as 2026-11-25T10:00:00Z, got "yesterday".' });
  assert.deepEqual((await call(api, 'GET', '/apps/my-app/router-metrics')).body, []);
  const drain = await call(api, 'POST', '/apps/my-app/log-drains', { url: 5 });
  assert.equal(drain.status, 422);
  assert.match(drain.body.message, /^A drain needs a url, such as syslog\+tls:/);
});
