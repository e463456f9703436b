// `slipway stack:make` and `slipway stack:prune`: platform commands run on the machine itself (as
// root), not API clients. The install step (scripts/install-deps.sh) runs stack:make, so the stack is
// ready before the platform or the tests start; the server's own ensureStack then finds it made.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  STACK_NAME, STACK_VERSION, StackError, defaultStackDir, ensureStack, pruneStacks, stackRoot,
} from '../runtime/index.ts';
import { MARKER } from '../runtime/stack.ts';
import { treeBytes } from '../slugs/index.ts';
import { VERSION_PATTERN } from '../runtime/stack-definition.ts';
import { formatSeconds } from '../runtime/stack-progress.ts';

const ARROW = ' ▸    ';

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo = (): Io => ({
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  env: process.env,
});

/**
 * Makes the current version of the stack unless it is there, printing progress, then its path, size
 * and the time it took. Resolves with the exit code: 0 made or already there, 1 failed (the message
 * names the cause and what to do) or bad arguments.
 */
export async function runStackMake(argv: string[], io: Io = defaultIo()): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out('Usage: slipway stack:make\n\nMakes the stack (a Debian 12 root for builds and dynos) in $SLIPWAY_STACK_DIR ' +
      `(default /var/lib/slipway/stacks/${STACK_NAME}) unless its current version is there. Needs root.`);
    return 0;
  }
  if (argv.length) {
    io.err(`${ARROW}Unexpected argument ${argv[0]}. Usage: slipway stack:make`);
    return 1;
  }
  const dir = path.resolve(defaultStackDir(io.env));
  const started = Date.now();
  io.out(`-----> Stack ${STACK_NAME} version ${STACK_VERSION} in ${dir}`);
  let result;
  try {
    result = await ensureStack(dir, (line) => io.out(`       ${line}`));
  } catch (err) {
    const why = err instanceof StackError ? err : new StackError('failed', (err as Error).message);
    io.err(`${ARROW}The stack could not be made (${why.id}) after ${formatSeconds((Date.now() - started) / 1000)}:`);
    for (const line of why.message.split('\n')) io.err(`${ARROW}${line}`);
    return 1;
  }
  const bytes = result.bytes ?? (await treeBytes(result.root));
  const packages = result.packages === undefined ? '' : `, ${result.packages} packages`;
  if (result.built) {
    io.out(`-----> Made ${result.root}: ${formatBytes(bytes)}${packages}, in ${formatSeconds((Date.now() - started) / 1000)}`);
  } else {
    io.out(`-----> Already made: ${result.root}, ${formatBytes(bytes)} (${formatSeconds((Date.now() - started) / 1000)})`);
  }
  const older = await olderVersions(dir);
  if (older.length) {
    io.out(`       Kept for dynos that may still run on them: ${older.join(', ')}; \`slipway stack:prune\` removes those no process uses.`);
  }
  return 0;
}

/** Removes the stack versions other than the current one that no process on this machine uses. */
export async function runStackPrune(argv: string[], io: Io = defaultIo()): Promise<number> {
  if (argv.length) {
    io.err(`${ARROW}Unexpected argument ${argv[0]}. Usage: slipway stack:prune`);
    return 1;
  }
  const dir = path.resolve(defaultStackDir(io.env));
  if (!(await readdir(dir).then(() => true, () => false))) {
    io.out(`-----> Nothing to remove: ${dir} does not exist`);
    return 0;
  }
  try {
    const result = await pruneStacks(dir, (line) => io.out(`-----> ${line}`));
    for (const { name, pids } of result.inUse) {
      io.out(`       Kept ${name === 'legacy' ? 'the stack made before versions' : `version ${name}`}: in use by pid ${pids.join(', ')}`);
    }
    const removed = result.remove.length + (result.removeLegacy ? 1 : 0);
    io.out(removed ? `-----> Freed ${formatBytes(result.bytes)}; current version ${STACK_VERSION} kept` : `-----> Nothing to remove; current version ${STACK_VERSION} kept`);
    return 0;
  } catch (err) {
    io.err(`${ARROW}Could not prune ${dir}: ${(err as Error).message}`);
    return 1;
  }
}

/** Versions in the stack dir other than the current one, and the flat stack made before versions. */
async function olderVersions(dir: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => VERSION_PATTERN.test(n) && n !== STACK_VERSION);
  const legacy = await readFile(path.join(dir, MARKER), 'utf8').then((t) => t.trim() === STACK_NAME, () => false);
  return [...names.map((n) => stackRoot(dir, n)), ...(legacy ? [`${dir} (made before versions)`] : [])];
}

export function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${Math.round(n / 1e6)} MB`;
}
