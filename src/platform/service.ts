// `slipway service:install` and `service:uninstall`: Slipway as a systemd service, the way to run it in
// production. The unit runs `slipway server` as root with its settings from an environment file, restarts
// it when it fails, and stops it the way the platform stops itself: SIGTERM to the platform alone
// (KillMode=mixed), which stops every dyno (SIGTERM, their grace period, SIGKILL) and then the add-on
// servers and HAProxy; only what is left when it has exited, or after TimeoutStopSec, gets SIGKILL.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from './config.ts';
import { PLATFORM_OOM_SCORE_ADJ } from './oom.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

export interface ServiceOptions {
  /** Where the unit goes (/etc/systemd/system). */
  unitDir: string;
  /** The environment file (/etc/slipway/slipway.env). */
  envFile: string;
  /** The unit's name without `.service`. */
  name: string;
  /** Enable and start it with systemctl (when systemd runs this machine). */
  enable: boolean;
  /** The checkout whose bin/slipway the unit runs. */
  root?: string;
}

export function unitText(o: Pick<ServiceOptions, 'envFile' | 'root'>): string {
  const root = o.root ?? ROOT;
  return [
    '# Written by `slipway service:install`; `slipway service:uninstall` removes it.',
    '[Unit]',
    'Description=Slipway (Heroku, self-hosted): Platform API, git, router, dynos, add-ons',
    `Documentation=file://${root}/README.md`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `EnvironmentFile=${o.envFile}`,
    `WorkingDirectory=${root}`,
    `ExecStart=${root}/bin/slipway server`,
    'Restart=on-failure',
    'RestartSec=5',
    // The platform alone gets SIGTERM and stops its dynos itself; their grace (SLIPWAY_STOP_GRACE, 30 s)
    // and the add-on servers' shutdown fit well within the stop timeout.
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=180',
    // The platform makes its own cgroup under the unit's (own-cgroup.ts) and runc makes the dynos'.
    'Delegate=yes',
    'LimitNOFILE=1048576',
    // A host out of memory kills a dyno, not the platform that restarts it (the score the platform
    // also sets itself at start, oom.ts).
    `OOMScoreAdjust=${PLATFORM_OOM_SCORE_ADJ}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The environment file: the SLIPWAY_* settings given at install time, the rest as comments. */
export function envText(env: NodeJS.ProcessEnv): string {
  const set = Object.entries(env).filter(([k, v]) => /^SLIPWAY_[A-Z0-9_]+$/.test(k) && v !== undefined && !/[\n\r]/.test(v)).sort(([a], [b]) => a.localeCompare(b));
  const quote = (v: string) => (/^[A-Za-z0-9_./:@%+,-]*$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return [
    '# Settings of `slipway server` run by systemd (README, Settings). One KEY=value a line.',
    '# After a change: systemctl restart slipway',
    // Pinned: the data dir `slipway server` uses from this shell, so the service runs on the same data.
    ...(set.some(([k]) => k === 'SLIPWAY_DATA_DIR') ? [] : [`SLIPWAY_DATA_DIR=${loadConfig(env).dataDir}`]),
    ...set.map(([k, v]) => `${k}=${quote(v!)}`),
    '# SLIPWAY_DOMAIN=apps.example.com',
    '# SLIPWAY_PUBLIC_URL=https://slipway.example.com',
    '# SLIPWAY_METRICS_TOKEN=...',
    '',
  ].join('\n');
}

const systemdRuns = () => existsSync('/run/systemd/system');

export async function installService(o: ServiceOptions, env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<void> {
  const unit = join(o.unitDir, `${o.name}.service`);
  await mkdir(o.unitDir, { recursive: true });
  await writeFile(unit, unitText(o));
  say(`Wrote ${unit}.`);
  if (existsSync(o.envFile)) {
    say(`Kept ${o.envFile} as it is (the settings there stay yours).`);
  } else {
    await mkdir(dirname(o.envFile), { recursive: true, mode: 0o700 });
    // It may hold the operator key or the metrics token: root only.
    await writeFile(o.envFile, envText(env), { mode: 0o600 });
    await chmod(o.envFile, 0o600);
    say(`Wrote ${o.envFile} (mode 0600): edit the settings there.`);
  }
  if (!o.enable) return;
  if (!systemdRuns()) {
    say('systemd does not run this machine: the unit is written but not enabled. Run `slipway server` under your own supervisor.');
    return;
  }
  await run('systemctl', ['daemon-reload']);
  await run('systemctl', ['enable', '--now', `${o.name}.service`]);
  say(`Enabled and started ${o.name}.service: \`systemctl status ${o.name}\`, \`journalctl -u ${o.name} -f\`.`);
}

export async function uninstallService(o: ServiceOptions, say: (line: string) => void): Promise<void> {
  const unit = join(o.unitDir, `${o.name}.service`);
  if (!existsSync(unit)) { say(`${unit} is not there: nothing to remove.`); return; }
  if (!(await readFile(unit, 'utf8')).includes('slipway service:install')) throw new Error(`${unit} was not written by slipway service:install; left as it is`);
  if (o.enable && systemdRuns()) {
    // Stopping it stops the platform as it stops itself: every dyno gets its grace period.
    await run('systemctl', ['disable', '--now', `${o.name}.service`]);
  }
  await rm(unit);
  if (o.enable && systemdRuns()) await run('systemctl', ['daemon-reload']);
  say(`Removed ${unit}. The data dir and ${o.envFile} are kept.`);
}

/** `slipway service:install|uninstall [--unit-dir DIR] [--settings FILE] [--name NAME] [--no-enable]`. */
export async function runServiceCommand(command: 'service:install' | 'service:uninstall', argv: string[], env = process.env): Promise<number> {
  const say = (l: string) => process.stdout.write(`${l}\n`);
  const o: ServiceOptions = { unitDir: '/etc/systemd/system', envFile: '/etc/slipway/slipway.env', name: 'slipway', enable: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => { const v = argv[++i]; if (!v) throw new Error(`${a} needs a value`); return v; };
    if (a === '--unit-dir') o.unitDir = value();
    else if (a === '--settings') o.envFile = value();
    else if (a === '--name') o.name = value();
    else if (a === '--no-enable') o.enable = false;
    else {
      process.stderr.write(`Usage: slipway ${command} [--unit-dir DIR] [--settings FILE] [--name NAME] [--no-enable]\n`);
      return 2;
    }
  }
  if (!/^[A-Za-z0-9_.@-]+$/.test(o.name)) { process.stderr.write(' ▸    --name must be a unit name such as slipway.\n'); return 2; }
  try {
    if (command === 'service:install') await installService(o, env, say);
    else await uninstallService(o, say);
    return 0;
  } catch (err) {
    process.stderr.write(` ▸    ${(err as Error).message}\n`);
    return 1;
  }
}
