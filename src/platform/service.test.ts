import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { envText, installService, uninstallService } from './service.ts';

const run = promisify(execFile);

test('service:install writes a unit systemd-analyze accepts and a root-only settings file; uninstall removes the unit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-service-'));
  try {
    const o = { unitDir: join(dir, 'units'), envFile: join(dir, 'etc', 'slipway.env'), name: 'slipway', enable: false };
    const lines: string[] = [];
    await installService(o, { SLIPWAY_DOMAIN: 'apps.example.com', SLIPWAY_METRICS_TOKEN: 'has "quotes" and spaces', HOME: '/root', PATH: '/bin' }, (l) => lines.push(l));
    const unitFile = join(o.unitDir, 'slipway.service');
    const unit = await readFile(unitFile, 'utf8');
    assert.match(unit, /^ExecStart=\/.+\/bin\/slipway server$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^KillMode=mixed$/m, 'SIGTERM to the platform alone: it stops its dynos itself');
    assert.match(unit, new RegExp(`^EnvironmentFile=${o.envFile}$`, 'm'));
    assert.match(unit, /^OOMScoreAdjust=-500$/m, 'a host out of memory kills a dyno before the platform');
    assert.match(unit, /^Delegate=yes$/m, 'the platform may make its own cgroup under the unit\'s');
    await run('systemd-analyze', ['verify', unitFile]);
    // The verifier does refuse a broken unit (so its pass above means something).
    const broken = join(dir, 'units', 'broken.service');
    await writeFile(broken, unit.replace('KillMode=mixed', 'KillMode=whenever').replace(/^ExecStart=.*$/m, 'ExecStart=bin/slipway server'));
    await assert.rejects(run('systemd-analyze', ['verify', broken]));
    await rm(broken);

    const env = await readFile(o.envFile, 'utf8');
    assert.equal((await stat(o.envFile)).mode & 0o777, 0o600);
    assert.match(env, /^SLIPWAY_DOMAIN=apps\.example\.com$/m);
    assert.match(env, /^SLIPWAY_METRICS_TOKEN="has \\"quotes\\" and spaces"$/m);
    assert.match(env, /^SLIPWAY_DATA_DIR=\/root\/\.slipway$/m, 'pinned to the data dir `slipway server` would use here');
    assert.ok(!/^HOME=|^PATH=/m.test(env), 'only Slipway settings');
    // Installed again: the operator's settings are kept.
    await writeFile(o.envFile, 'SLIPWAY_DOMAIN=mine.example.com\n');
    await installService(o, {}, (l) => lines.push(l));
    assert.equal(await readFile(o.envFile, 'utf8'), 'SLIPWAY_DOMAIN=mine.example.com\n');

    await uninstallService(o, (l) => lines.push(l));
    await assert.rejects(stat(unitFile));
    assert.equal(await readFile(o.envFile, 'utf8'), 'SLIPWAY_DOMAIN=mine.example.com\n', 'settings kept');
    // A unit it did not write is left alone.
    await writeFile(unitFile, '[Service]\nExecStart=/bin/true\n');
    await assert.rejects(uninstallService(o, () => undefined), /was not written by slipway service:install/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the settings file holds one KEY=value a line, never a line break from a value', () => {
  const text = envText({ SLIPWAY_A: 'x\nSLIPWAY_EVIL=1', SLIPWAY_B: 'plain', SLIPWAY_DATA_DIR: '/d' });
  assert.ok(!text.includes('EVIL'));
  assert.match(text, /^SLIPWAY_B=plain$/m);
  assert.match(text, /^SLIPWAY_DATA_DIR=\/d$/m);
});
