// SNI endpoint and Postgres backup routes over fakes: the bodies their schemas refuse before the
// components are reached (the fakes hold no methods that would store anything).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiDeps } from '../deps.ts';
import { apiWith, appRow, appsOf, call, fake } from '../test-helpers.ts';
import { addonBackupRoutes } from './addon-backups.ts';
import { certRoutes } from './certs.ts';

function setup() {
  const d = fake<ApiDeps>({
    apps: appsOf(appRow('my-app')).apps as unknown as ApiDeps['apps'],
    sniEndpoints: fake<ApiDeps['sniEndpoints']>({}, 'sniEndpoints'),
    addons: fake<ApiDeps['addons']>({}, 'addons'),
  }, 'deps');
  return apiWith((api) => { certRoutes(api, d); addonBackupRoutes(api, d); });
}

test('certs:add and certs:update need the chain and the key as PEM text', async () => {
  const api = await setup();
  for (const body of [{}, { certificate_chain: '-----BEGIN CERTIFICATE-----' }, { certificate_chain: ['x'], private_key: 'k' }]) {
    for (const [method, url] of [['POST', '/apps/my-app/sni-endpoints'], ['PATCH', '/apps/my-app/sni-endpoints/tokyo-12345']] as const) {
      const r = await call(api, method, url, body);
      assert.deepEqual(r.body, { id: 'invalid_params', message: 'certificate_chain and private_key are required, each as PEM text.' }, `${method} ${JSON.stringify(body)}`);
    }
  }
});

test('pg:backups capture and restore take an add-on name or nothing, nothing else', async () => {
  const api = await setup();
  for (const url of ['/apps/my-app/pg-backups', '/apps/my-app/pg-backups/b001/actions/restore']) {
    const r = await call(api, 'POST', url, { addon: { name: 'DATABASE' } });
    assert.deepEqual(r.body, { id: 'invalid_params', message: 'addon must be an add-on or attachment name, e.g. "DATABASE".' });
  }
});
