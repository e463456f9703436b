import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { diagnose } from './doctor.ts';
import { hasCapSysResource } from './oom.ts';

test('doctor names what a host lacks and what to do about it', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'slipway-doctor-'));
  try {
    // A PATH with none of the tools, a stack dir never made, a high-water mark any disk is past.
    const env = { PATH: empty, SLIPWAY_STACK_DIR: join(empty, 'stacks'), SLIPWAY_DATA_DIR: join(empty, 'data'), SLIPWAY_DISK_HIGH_WATER: '1', SLIPWAY_API_PORT: '0', SLIPWAY_ROUTER_PORT: '0' };
    const findings = await diagnose(env);
    const by = (name: string) => findings.find((f) => f.name === name);
    assert.equal(by('runc')?.level, 'fail');
    assert.match(by('runc')?.fix ?? '', /apt-get install runc/);
    assert.equal(by('haproxy')?.level, 'warn', 'the platform runs without HAProxy, slower');
    assert.equal(by('stack')?.level, 'fail');
    assert.match(by('stack')?.fix ?? '', /slipway stack:make/);
    assert.equal(by('data disk')?.level, 'fail');
    assert.match(by('data disk')?.detail ?? '', /high-water mark of 1%/);
    // What this machine does have is reported fine.
    assert.equal(by('overlayfs')?.level, 'ok');
    assert.equal(by('cgroups')?.level, 'ok');
    // OOM protection follows this machine's capabilities (a container here withholds CAP_SYS_RESOURCE).
    const cap = hasCapSysResource(await readFile('/proc/self/status', 'utf8'));
    assert.equal(by('OOM protection')?.level, cap === false ? 'warn' : 'ok');
    if (cap === false) assert.match(by('OOM protection')?.detail ?? '', /lacks CAP_SYS_RESOURCE/);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
