// The `formation` section of an app's app.json: quantities and sizes per process type for the first
// deploy (later deploys keep the formation as scaled). Errors name the file and the problem, quoting
// short excerpts at most; reading goes through readBuildFile (no links, regular files, bounded).
import { join } from 'node:path';
import { findSize, DYNO_SIZES } from '../runtime/sizes.ts';
import { excerpt, readBuildFile } from '../slugs/build-file.ts';

export interface FormationEntry { quantity: number; size?: string }

export class AppJsonError extends Error {}

/** The formation of a built app dir's app.json; empty when it has none. */
export async function readAppJsonFormation(appDir: string): Promise<Record<string, FormationEntry>> {
  const text = await readBuildFile(join(appDir, 'app.json'), 'app.json', { asError: (m) => new AppJsonError(m) });
  return text === undefined ? {} : parseAppJsonFormation(text);
}

export function parseAppJsonFormation(text: string): Record<string, FormationEntry> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the fault: only its first words are kept.
    throw new AppJsonError(`app.json is not valid JSON: ${(e as Error).message.slice(0, 80)}`);
  }
  const formation = (doc as { formation?: unknown } | null)?.formation;
  if (formation === undefined) return {};
  if (!formation || typeof formation !== 'object' || Array.isArray(formation)) {
    throw new AppJsonError('app.json "formation" must be an object such as {"web": {"quantity": 1, "size": "standard-1x"}}.');
  }
  const out: Record<string, FormationEntry> = {};
  for (const [type, raw] of Object.entries(formation as Record<string, unknown>)) {
    const e = (raw ?? {}) as { quantity?: unknown; size?: unknown };
    const quantity = e.quantity === undefined ? 1 : e.quantity;
    if (!Number.isInteger(quantity) || (quantity as number) < 0 || (quantity as number) > 100) {
      throw new AppJsonError(`app.json formation.${type.slice(0, 40)}.quantity must be a whole number from 0 to 100, got ${excerpt(e.quantity, 40)}.`);
    }
    let size: string | undefined;
    if (e.size !== undefined) {
      const found = typeof e.size === 'string' ? findSize(e.size) : undefined;
      if (!found) throw new AppJsonError(`app.json formation.${type.slice(0, 40)}.size ${excerpt(e.size, 40)} is not a dyno size; use one of ${DYNO_SIZES.map((s) => s.name).join(', ')}.`);
      size = found.name;
    }
    out[type] = { quantity: quantity as number, size };
  }
  return out;
}
