// The dashboard's built scripts and stylesheet (made by `npm run build:dashboard` from ui/ at install
// time), read once into memory with a gzip copy and a content hash for their URLs, so each is
// cached by the browser until it changes. Only the files the build names are served.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface Asset { body: Buffer; gzip: Buffer; type: string; hash: string }

const TYPES: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/** The built assets by name, or an empty map when they are not built. */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(TYPES)) {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, name));
    } catch {
      return new Map();
    }
    assets.set(name, { body, gzip: gzipSync(body, { level: 9 }), type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  return assets;
}

export const assetUrl = (name: string, a: Asset) => `/dashboard/assets/${name}?v=${a.hash}`;
