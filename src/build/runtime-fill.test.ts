import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { planKey } from './runtime-fill.ts';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function setup(): Promise<{ bp: string; src: string }> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-runtime-fill-'));
  dirs.push(root);
  const bp = join(root, 'bp');
  const src = join(root, 'src');
  await mkdir(join(bp, 'bin'), { recursive: true });
  await mkdir(src);
  await writeFile(join(bp, 'bin', 'fill'), '#!/bin/sh\n');
  await writeFile(join(bp, 'fill-inputs'), '# comment\npackage.json\n.npmrc\n');
  await writeFile(join(src, 'package.json'), '{"engines":{"node":"20.x"}}');
  await writeFile(join(src, 'index.js'), 'v1');
  return { bp, src };
}

test("a fill's plan key follows its inputs, the buildpack and the stack, not the rest of the app", async () => {
  const { bp, src } = await setup();
  const key = await planKey({ stack: 'heroku-24', sourceDir: src }, bp);
  assert.match(key ?? '', /^[0-9a-f]{64}$/);
  await writeFile(join(src, 'index.js'), 'v2');
  assert.equal(await planKey({ stack: 'heroku-24', sourceDir: src }, bp), key, 'a change the fill does not read');
  assert.notEqual(await planKey({ stack: 'heroku-22', sourceDir: src }, bp), key);
  await writeFile(join(src, '.npmrc'), 'registry=https://example.invalid/\n');
  const withNpmrc = await planKey({ stack: 'heroku-24', sourceDir: src }, bp);
  assert.notEqual(withNpmrc, key, 'an input added');
  await writeFile(join(src, 'package.json'), '{"engines":{"node":"22.x"}}');
  assert.notEqual(await planKey({ stack: 'heroku-24', sourceDir: src }, bp), withNpmrc, 'an input changed');
  await writeFile(join(bp, 'bin', 'fill'), '#!/bin/sh\necho new\n');
  const k2 = await planKey({ stack: 'heroku-24', sourceDir: src }, bp);
  await writeFile(join(bp, 'bin', 'fill'), '#!/bin/sh\n');
  assert.notEqual(k2, await planKey({ stack: 'heroku-24', sourceDir: src }, bp), 'the buildpack changed');
});

test('an input that is a link is never followed, and a buildpack naming no inputs has no plan', async () => {
  const { bp, src } = await setup();
  // The link points at a file of the test's own outside the source, never at a host file: the
  // writeFile below must not go through it.
  const outside = join(src, '..', 'outside-package.json');
  await writeFile(outside, '{"name": "outside"}');
  await rm(join(src, 'package.json'));
  await symlink(outside, join(src, 'package.json'));
  assert.equal(await planKey({ stack: 'heroku-24', sourceDir: src }, bp), undefined, 'the fill runs instead');
  await rm(join(bp, 'fill-inputs'));
  await rm(join(src, 'package.json'));
  await writeFile(join(src, 'package.json'), '{}');
  assert.equal(await readFile(outside, 'utf8'), '{"name": "outside"}', 'the link target is untouched');
  assert.equal(await planKey({ stack: 'heroku-24', sourceDir: src }, bp), undefined);
});
