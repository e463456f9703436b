// Builds the dashboard's browser code (ui/) into app.js and app.css under dist/dashboard with esbuild:
// one minified ES module (Preact and the pages), the Metrics page with uPlot as a chunk it loads when
// needed, and one stylesheet. Run by the install
// step (`npm run build:dashboard`); the platform serves what it finds there.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
await rm(`${root}dist/dashboard`, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: `${root}src/dashboard/ui/main.tsx` },
  outdir: `${root}dist/dashboard`,
  bundle: true, minify: true, format: 'esm', target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  // The Metrics page (with uPlot, most of the weight) is a chunk of its own, loaded when first shown.
  splitting: true, chunkNames: 'chunk-[hash]',
  jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none', metafile: true, logLevel: 'warning',
});
const sizes = Object.entries(result.metafile.outputs).map(([file, o]) => `${file.replace(/^.*\//, '')} ${(o.bytes / 1024).toFixed(1)} KB`);
console.log(`-----> Dashboard built: ${sizes.join(', ')}`);
