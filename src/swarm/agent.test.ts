// The engine agent, pure: its service (global, the node's socket bound in, no capabilities, the
// containers to stop in its environment), its script (bash syntax), its lines read back (anything else
// skipped), and the samples turned into R14 and log-runtime-metrics lines.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { agentScript, agentSpec, parseAgentLine, parseOomLine } from './agent.ts';
import { TaskSamples } from './samples.ts';

const ID = 'a'.repeat(64);

test('the agent is a global service with the node\'s engine socket, and the containers to stop in its environment', () => {
  const spec = agentSpec({ platform: 'slipway-0123abcd-', image: 'slipway-12:abc', socket: '/run/engines/{{.Node.ID}}.sock', intervalSeconds: 20, stop: [ID] }) as any;
  assert.equal(spec.Name, 'slipway-0123abcd-agent');
  assert.deepEqual(spec.Mode, { Global: {} });
  assert.deepEqual(spec.TaskTemplate.ContainerSpec.Mounts, [{ Type: 'bind', Source: '/run/engines/{{.Node.ID}}.sock', Target: '/run/slipway-engine.sock' }]);
  assert.deepEqual(spec.TaskTemplate.ContainerSpec.CapabilityDrop, ['ALL']);
  assert.ok(spec.TaskTemplate.ContainerSpec.Env.includes(`SLIPWAY_STOP=${ID}`));
  // Its container does not carry the platform label (the platform's sweeps and samples look for that one).
  assert.equal(spec.TaskTemplate.ContainerSpec.Labels['slipway.platform'], undefined);
  const other = agentSpec({ platform: 'slipway-0123abcd-', image: 'slipway-12:abc', socket: '/run/engines/{{.Node.ID}}.sock', intervalSeconds: 20, stop: [] }) as any;
  assert.notEqual(other.Labels['slipway.spec'], spec.Labels['slipway.spec'], 'another stop list is another spec');
  execFileSync('bash', ['-n', '-c', agentScript('slipway-0123abcd-', 20)]);
  assert.match(agentScript('slipway-0123abcd-', 20), /slipway\.platform%3Dslipway-0123abcd-/);
});

test('agent lines are read back; anything else is skipped', () => {
  assert.deepEqual(parseAgentLine(JSON.stringify({ sample: ID, memory: { rss: 5, cache: 1, bogus: 'x', neg: -1 }, cpu: 10, system: 100, cpus: 2 })),
    { container: ID, memory: { rss: 5, cache: 1 }, cpu: 10, system: 100, cpus: 2 });
  for (const bad of ['', 'curl: (7) failed', '{}', JSON.stringify({ sample: '../x', memory: {} }), JSON.stringify({ sample: ID, memory: null }), 'null']) {
    assert.equal(parseAgentLine(bad), undefined, bad);
  }
});

test('samples over the quota give R14; with log-runtime-metrics, Heroku\'s sample lines with the CPUs kept busy as load', () => {
  const lines: string[] = [];
  const samples = new TaskSamples(20_000, (_app, dyno, line) => lines.push(`${dyno} ${line}`));
  const task = { appId: '0123abcd-0000-0000-0000-000000000000', dyno: 'web.2', task: 'task1', container: ID, quotaBytes: 512 * 1024 * 1024, runtimeMetrics: true };
  const memory = { rss: 600 * 1024 * 1024, cache: 1024 * 1024, swap: 0, pgpgin: 7, pgpgout: 3 };
  samples.take(task, { container: ID, memory, cpu: 0, system: 0, cpus: 2 });
  samples.take(task, { container: ID, memory, cpu: 500, system: 1000, cpus: 2 });
  assert.equal(lines[0], 'web.2 Process running mem=600M(117.2%)');
  assert.equal(lines[1], 'web.2 Error R14 (Memory quota exceeded)');
  assert.match(lines[2]!, /^web\.2 source=web\.2 dyno=heroku\.1194684\.task1 sample#load_avg_1m=0\.00 /);
  assert.match(lines[3]!, /^web\.2 source=web\.2 dyno=heroku\.1194684\.task1 sample#memory_total=600\.00MB sample#memory_rss=600\.00MB sample#memory_cache=1\.00MB sample#memory_swap=0\.00MB sample#memory_pgpgin=7pages sample#memory_pgpgout=3pages sample#memory_quota=512\.00MB$/);
  // Half of two CPUs' time since the last sample: one CPU busy, damped into the 1-minute average.
  assert.match(lines[6]!, /sample#load_avg_1m=0\.28 /);
  lines.length = 0;
  samples.take({ ...task, runtimeMetrics: false }, { container: ID, memory: { rss: 1024 }, cpu: 600, system: 1100 });
  assert.deepEqual(lines, []);
});

test('an OOM kill the agent tells of names its app and dyno (from the engine\'s task name); anything else is skipped', () => {
  const app = '0123abcd-0000-4000-8000-000000000000';
  const line = (v: object) => JSON.stringify({ oom: ID, app, type: 'web', task: 'slipway-0123abcd-app-web.2.k3j4h5g6f7d8s9a0q1w2e3r4t', ...v });
  assert.deepEqual(parseOomLine(line({})), { container: ID, appId: app, dyno: 'web.2' });
  // A sample line is not one; nor a task name without its slot, a type or app id out of shape.
  assert.equal(parseOomLine(JSON.stringify({ sample: ID, memory: {} })), undefined);
  for (const bad of [{ task: 'web' }, { type: '../x' }, { app: 'not-an-id' }, { oom: 'zz' }, { app: null }]) assert.equal(parseOomLine(line(bad)), undefined, JSON.stringify(bad));
  // The script asks for exited containers of this platform and tells of each once, since it started.
  const script = agentScript('slipway-0123abcd-', 20);
  assert.match(script, /all=1&filters=.*exited/);
  assert.match(script, /OOMKilled == true and \.State\.FinishedAt > \$since/);
});
