// Node 20's test runner, given a directory, only discovers .js/.mjs/.cjs files.
// This shim makes `node --test --import tsx test/buildpacks/` run the TypeScript
// tests next to it. (Passing the .ts files themselves works too and skips this file.)
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const file of readdirSync(here).filter((f) => f.endsWith('.test.ts')).sort()) {
  await import(`./${file}`);
}
