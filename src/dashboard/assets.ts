// The dashboard's built scripts and stylesheet (made by `npm run build:dashboard` from ui/ at install
// time): app.js, app.css and the chunks app.js loads when a page needs them (chunk-<hash>.js), read
// once into memory with a gzip copy and a content hash for their URLs, so each is cached by the browser
// until it changes. Only the files the build wrote there are served.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface Asset { body: Buffer; gzip: Buffer; type: string; hash: string }

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const NAME = /^(app|chunk-[A-Z0-9]+)\.(js|css)$/;

/** The built assets by name, or an empty map when they are not built (app.js or app.css missing). */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => NAME.test(n));
  } catch {
    return assets;
  }
  for (const name of names) {
    const body = readFileSync(join(dir, name));
    const type = TYPES[name.split('.').pop()!]!;
    assets.set(name, { body, gzip: gzipSync(body, { level: 9 }), type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  return assets.has('app.js') && assets.has('app.css') ? assets : new Map();
}

export const assetUrl = (name: string, a: Asset) => `/dashboard/assets/${name}?v=${a.hash}`;
