import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { runCommand, type CommandError } from './command.ts';

/**
 * A node process in a group of its own that runs `sleep 0.6` (through runCommand, or through plain
 * execFile when `plain`), ignores SIGTERM itself as the platform does (it stops instead), and prints
 * how the command ended. The test sends SIGTERM to the whole group once the command runs: what a
 * Ctrl-C at a terminal or `kill -TERM -<pgid>` does.
 */
function groupSignalled(plain: boolean): Promise<string> {
  const script = plain
    ? `const { execFile } = require('node:child_process');
       process.on('SIGTERM', () => {});
       execFile('sleep', ['0.6'], (err) => console.log(err ? 'killed by ' + err.signal : 'finished'));
       setTimeout(() => console.log('running'), 100);`
    : `process.on('SIGTERM', () => {});
       import(${JSON.stringify(new URL('./command.ts', import.meta.url).href)}).then(({ runCommand }) => {
         runCommand('sleep', ['0.6']).then(() => console.log('finished'), (err) => console.log('killed by ' + err.signal));
         setTimeout(() => console.log('running'), 100);
       });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (d.includes('running')) process.kill(-child.pid!, 'SIGTERM');
    });
    child.on('error', reject);
    child.on('close', () => { clearTimeout(timer); resolve(out); });
  });
}

describe('runCommand', () => {
  test('a SIGTERM to the platform\'s process group does not reach a command it runs (plain execFile: it does)', async () => {
    assert.match(await groupSignalled(false), /finished/);
    // The same with execFile, which keeps the child in the caller's group: the signal kills the command.
    assert.match(await groupSignalled(true), /killed by SIGTERM/);
  });

  test('output, exit codes and spawn errors as promisify(execFile) gives them', async () => {
    assert.deepEqual(await runCommand('sh', ['-c', 'echo out; echo err >&2']), { stdout: 'out\n', stderr: 'err\n' });
    const failed = await runCommand('sh', ['-c', 'echo why >&2; exit 3']).catch((e: CommandError) => e);
    assert.ok(failed instanceof Error);
    assert.equal(failed.code, 3);
    assert.equal(failed.stderr, 'why\n');
    assert.match(failed.message, /Command failed: sh -c/);
    const missing = await runCommand('no-such-command-here', []).catch((e: CommandError) => e);
    assert.equal((missing as CommandError).code, 'ENOENT');
    assert.equal((await runCommand('sh', ['-c', 'echo "$X"'], { env: { X: 'given' } })).stdout, 'given\n');
  });

  test('a command past its output limit or its time is stopped and fails', async () => {
    const big = await runCommand('sh', ['-c', 'head -c 100000 /dev/zero'], { maxBuffer: 1000 }).catch((e: CommandError) => e);
    assert.match((big as Error).message, /stdout passed 1000 bytes/);
    const slow = await runCommand('sleep', ['5'], { timeout: 100 }).catch((e: CommandError) => e);
    assert.equal((slow as CommandError).signal, 'SIGTERM');
  });
});
