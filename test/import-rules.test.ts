// The import table of docs/architecture.md as `npm run deps` enforces it: dependency-cruiser with the
// project's own config over a small tree that makes the three imports the table once let slip (dynos →
// router, build → dynos, cli → platform), a few more it forbids (a folder with no line in the table
// imports nothing of ours) and a few it allows. Each break must be reported, nothing allowed
// may be, or the check in test.sh would pass whatever the code does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

test('the import rules report each break of the table and nothing it allows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-import-rules-'));
  try {
    const files: Record<string, string> = {
      'src/router/hosts.ts': 'export const lookupHost = 1;\n',
      'src/router/router.ts': "import type { AppRoute } from '../dynos/routes.ts';\nimport { x } from '../logs/index.ts';\nexport type R = AppRoute;\nexport const y = x;\n",
      'src/router/bad.ts': "import { m } from '../dynos/manager.ts';\nexport const b = m;\n",
      'src/dynos/routes.ts': 'export interface AppRoute { appId: string }\n',
      'src/dynos/manager.ts': "import { lookupHost } from '../router/hosts.ts';\nimport { s } from '../runtime/sizes.ts';\nexport const m = [lookupHost, s];\n",
      'src/build/index.ts': "import { m } from '../dynos/manager.ts';\nimport { s } from '../runtime/sizes.ts';\nexport const b = [m, s];\n",
      'src/runtime/sizes.ts': 'export const s = 1;\n',
      'src/logs/index.ts': "import { log } from '../logger/index.ts';\nexport const x = log;\n",
      'src/logger/index.ts': 'export const log = 1;\n',
      'src/cli/main.ts': "export async function main() { return import('../platform/server.ts'); }\n",
      'src/platform/server.ts': "import { m } from '../dynos/manager.ts';\nimport { main } from '../cli/main.ts';\nexport const p = [m, main];\n",
      'src/api/server.ts': "import { m } from '../dynos/manager.ts';\nexport const a = m;\n",
      'src/releases/index.ts': "import { a } from '../api/server.ts';\nexport const r = a;\n",
      'src/api/bad.ts': "import { p } from '../platform/server.ts';\nexport const a = p;\n",
      'src/widgets/index.ts': "import { a } from '../api/server.ts';\nimport { log } from '../logger/index.ts';\nexport const x = [a, log];\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    const cruise = (output: string) => spawnSync(join(ROOT, 'node_modules/.bin/depcruise'), ['src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', output], {
      cwd: dir, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20,
    });
    const r = cruise('json');
    assert.ok(r.stdout, r.stderr);
    const found = (JSON.parse(r.stdout) as { summary: { violations: { from: string; to: string; rule: { name: string } }[] } })
      .summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    assert.deepEqual(found, [
      'api-may-import: src/api/bad.ts → src/platform/server.ts',
      'build-may-import: src/build/index.ts → src/dynos/manager.ts',
      'folder-in-the-table: src/widgets/index.ts → src/api/server.ts',
      'nothing-imports-api-cli-platform: src/widgets/index.ts → src/api/server.ts',
      'cli-may-import: src/cli/main.ts → src/platform/server.ts',
      'dynos-may-import: src/dynos/manager.ts → src/router/hosts.ts',
      'no-cycles-between-components: src/cli/main.ts → src/platform/server.ts',
      'nothing-imports-api-cli-platform: src/releases/index.ts → src/api/server.ts',
      'releases-may-import: src/releases/index.ts → src/api/server.ts',
      'router-may-import: src/router/bad.ts → src/dynos/manager.ts',
    ].sort());
    // What `npm run deps` prints, and its exit status: a break fails test.sh.
    const err = cruise('err');
    assert.notEqual(err.status, 0, 'a break fails the command');
    assert.match(err.stdout, /error dynos-may-import: src\/dynos\/manager\.ts → src\/router\/hosts\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
