// The runtime layer under a build's overlay (runtime-layer.ts), on real overlayfs mounts (root only): an
// untouched runtime is packed as the recorded layer without being read, a build can still change its
// runtime (its writes land in its own upper dir), the shared lower copy never changes, and a change
// sends the pack back to the merged tree (a layer of its own).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { unmountUnder } from '../runtime/index.ts';
import { BlobStore, concatenated, packSlug } from '../slugs/index.ts';
import { layerFromFill, mountRuntimeLayer, runtimeUntouched } from './runtime-layer.ts';

const run = promisify(execFile);
const root = process.getuid?.() === 0 && process.platform === 'linux';
/** A tenant-range uid no account has: the build's user. */
const APP = { uid: 1_500_099_001, gid: 1_500_099_001 };
let dir: string;
let blobs: BlobStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-runtime-layer-'));
  await chmod(dir, 0o755); // the build's user reaches its merged dir by absolute path (a shell's cd)
  blobs = new BlobStore({ dir: join(dir, 'blobs') });
});
after(async () => {
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
});

/** A runtime as the nodejs buildpack's fill leaves it (node, npm and its bin link). */
async function fillDir(name: string): Promise<string> {
  const app = join(dir, name);
  const node = join(app, '.heroku', 'node');
  await mkdir(join(node, 'bin'), { recursive: true });
  await mkdir(join(node, 'lib', 'node_modules', 'npm', 'bin'), { recursive: true });
  await writeFile(join(node, 'bin', 'node'), '#!/bin/sh\necho real-node\n');
  await chmod(join(node, 'bin', 'node'), 0o755);
  await writeFile(join(node, 'lib', 'node_modules', 'npm', 'package.json'), '{"version":"10.0.0"}');
  await writeFile(join(node, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), '// npm');
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(node, 'bin', 'npm'));
  // `read-x` sorts between `read` and `read/lib`: directories listed so must still get their times.
  for (const d of ['read/lib', 'read-x']) await mkdir(join(node, 'lib', 'node_modules', 'npm', 'node_modules', d), { recursive: true });
  await run('find', [node, '-exec', 'touch', '-h', '-d', '@500000000', '--', '{}', '+']);
  await run('chown', ['-hR', '1500099002:1500099002', app]);
  return app;
}

/** A build's checkout (its upper dir), the app's. */
async function checkout(name: string): Promise<{ upper: string; work: string }> {
  const work = join(dir, name);
  const upper = join(work, 'app');
  await mkdir(upper, { recursive: true });
  await writeFile(join(upper, 'index.js'), 'console.log(1)');
  await run('chown', ['-hR', `${APP.uid}:${APP.gid}`, upper]);
  return { upper, work };
}

/** A shell command as the build's user, in `cwd`. */
function asApp(cwd: string, script: string) {
  return run('/bin/sh', ['-c', script], { cwd, uid: APP.uid, gid: APP.gid });
}

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

test('an untouched runtime is packed as the recorded layer; the slug still untars whole', { skip: !root && 'needs root (overlay mounts)' }, async () => {
  const fill = await fillDir('fill-1');
  const layer = await layerFromFill(fill, blobs, join(dir, 'fill-1.tmp'));
  assert.ok(layer, 'the fill left a runtime');
  // The same runtime packed by a build is the same layer: the fill's is the one builds would make.
  const packed = await packSlug(fill, join(dir, 'fill-1.tgz'), { layers: ['.heroku/node'], layerStore: blobs });
  assert.deepEqual(packed.layers.map((l) => l.blob), [layer.blob]);

  const { upper, work } = await checkout('build-1');
  const m = await mountRuntimeLayer({ dataDir: dir, blobs, layer, upper, work, user: APP });
  assert.ok(m);
  assert.equal((await asApp(m.merged, '.heroku/node/bin/node')).stdout, 'real-node\n', 'the build runs the layer\'s node');
  await asApp(m.merged, 'echo built > built.txt && mkdir -p .heroku/yarn && ls .heroku/node/bin > seen');
  assert.equal(await readFile(join(upper, 'seen'), 'utf8'), 'node\nnpm\n');
  assert.ok(await runtimeUntouched(upper, m.skeleton), 'writes outside the runtime leave it the layer');
  // As the layer is, times included (what the buildpack's normalizing `find -newer` then leaves alone).
  assert.equal((await run('find', [join(m.merged, '.heroku', 'node'), '-newer', join(m.merged, '.heroku', 'node', 'bin', 'node')])).stdout, '');

  const out = join(dir, 'build-1.tgz');
  const slug = await packSlug(upper, out, { layers: ['.heroku/node'], layerStore: blobs, known: [layer] });
  assert.deepEqual(slug.layers, [layer], 'the recorded layer, unread');
  assert.deepEqual(slug.reused, [{ path: '.heroku/node', bytes: layer.size }]);
  const whole = join(dir, 'build-1-whole.tgz');
  await writeFile(whole, concatenated([blobs.path(layer.blob), out]) as unknown as AsyncIterable<Buffer>);
  const listed = (await run('tar', ['-tzf', whole])).stdout.split('\n');
  for (const f of ['./.heroku/node/bin/node', './.heroku/node/bin/npm', './.heroku/node/lib/node_modules/npm/package.json', './index.js', './built.txt']) {
    assert.ok(listed.includes(f), `the slug holds ${f}`);
  }
  assert.equal(listed.filter((f) => f === './.heroku/node/bin/node').length, 1, 'the runtime once');
  assert.equal(slug.checksum, await sha(whole));
});

test('a build can replace or change its runtime; the shared copy stays as it was and the pack falls back to the tree', { skip: !root && 'needs root (overlay mounts)' }, async () => {
  const layer = (await layerFromFill(await fillDir('fill-2'), blobs, join(dir, 'fill-2.tmp')))!;
  const lowerNode = join(dir, 'build-layers', layer.blob, '.heroku', 'node', 'bin', 'node');
  const mount = async (name: string) => {
    const c = await checkout(name);
    return { ...c, m: (await mountRuntimeLayer({ dataDir: dir, blobs, layer, ...c, user: APP }))! };
  };

  // Tampering: the layer's node cannot be written in place, but it can be swapped, as with a copy.
  const a = await mount('build-2a');
  const before = await sha(lowerNode);
  // Reading it all (what a build that keeps it does) leaves it the layer.
  await asApp(a.m.merged, 'ls -laR .heroku >/dev/null && cat .heroku/node/bin/* .heroku/node/lib/node_modules/npm/package.json >/dev/null');
  assert.ok(await runtimeUntouched(a.upper, a.m.skeleton), 'reads change nothing');
  await assert.rejects(asApp(a.m.merged, 'echo evil > .heroku/node/bin/node'), /Permission denied/);
  assert.ok(await runtimeUntouched(a.upper, a.m.skeleton), 'a refused write changes nothing');
  await asApp(a.m.merged, 'cd .heroku/node/bin && mv node node-real && printf "#!/bin/sh\\necho wrapped\\n" > node && chmod +x node && echo pwned > tampered');
  assert.equal((await asApp(a.m.merged, '.heroku/node/bin/node')).stdout, 'wrapped\n');
  assert.equal(await runtimeUntouched(a.upper, a.m.skeleton), false, 'a changed runtime is not the layer');
  assert.equal(await sha(lowerNode), before, 'the shared copy is untouched');
  const own = await packSlug(a.m.merged, join(dir, 'build-2a.tgz'), { layers: ['.heroku/node'], layerStore: blobs });
  assert.notEqual(own.layers[0]!.blob, layer.blob, 'the changed runtime is a layer of its own');
  const listed = (await run('tar', ['-tzf', blobs.path(own.layers[0]!.blob)])).stdout;
  assert.match(listed, /\.heroku\/node\/bin\/node-real/);
  assert.match(listed, /\.heroku\/node\/bin\/tampered/);

  // The buildpack installing another node (a range resolved anew): the old runtime goes, the new one is the build's.
  const b = await mount('build-2b');
  await asApp(b.m.merged, 'rm -rf .heroku/node && mkdir -p .heroku/node/bin && printf "#!/bin/sh\\necho node-2\\n" > .heroku/node/bin/node && chmod +x .heroku/node/bin/node');
  assert.equal((await asApp(b.m.merged, 'ls -A .heroku/node/bin && .heroku/node/bin/node')).stdout, 'node\nnode-2\n');
  assert.equal(await runtimeUntouched(b.upper, b.m.skeleton), false);

  // A file added and removed again, the directory's times put back: its ctime still tells.
  const c = await mount('build-2c');
  await asApp(c.m.merged, 'cd .heroku/node && t=$(stat -c %Y bin) && touch bin/x && rm bin/x && touch -d "@$t" bin');
  assert.equal(await runtimeUntouched(c.upper, c.m.skeleton), false);
  assert.equal(await sha(lowerNode), before, 'the shared copy is untouched');
  assert.equal((await run('stat', ['-c', '%u %a', lowerNode])).stdout.trim(), '65534 755', 'nobody\'s, as the layer records');
});

test('an app with its own .heroku/node gets no layer', { skip: !root && 'needs root (overlay mounts)' }, async () => {
  const layer = (await layerFromFill(await fillDir('fill-3'), blobs, join(dir, 'fill-3.tmp')))!;
  const { upper, work } = await checkout('build-3');
  await mkdir(join(upper, '.heroku', 'node'), { recursive: true });
  assert.equal(await mountRuntimeLayer({ dataDir: dir, blobs, layer, upper, work, user: APP }), undefined);
});
